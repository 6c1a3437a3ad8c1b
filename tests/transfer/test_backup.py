"""``charlie-tui backup`` / ``restore`` on the real embedded FalkorDB: a backup taken while the
database runs with a backlog waiting, restored into a new data dir with every entry, entity,
waiting mark and the program state; the refusals; and a real worker reading the restored
backlog."""

from __future__ import annotations

import io
import subprocess
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from charlie_tui.cli import main
from charlie_tui.instance import InstanceLock
from charlie_worker.store.connection import close_db
from charlie_worker.store.entries import NewEntry
from charlie_worker.store.imports import save_backlog
from charlie_worker.store.queries import get_entry, list_entries
from charlie_worker.store.queue import bind_queue
from kit.processes import WORKER_CMD, episode_keys, stop_process, wait_until
from kit.seeds import read_entry_as

MARCH = datetime(2024, 3, 5, 9, 12, tzinfo=UTC)


def seed_mid_backlog(data_dir: Path) -> dict[str, list[str]]:
    """Two entries read (with entities), three imported and still waiting, a program state."""
    read = [
        read_entry_as("Lunch with Priya at the Ferry Building.", ("Priya", "Person")),
        read_entry_as("Tom fixed my bike in Lisbon.", ("Tom", "Person"), ("Lisbon", "Place")),
    ]
    waiting = save_backlog(
        [NewEntry(f"Imported day {n} with Sarah.", MARCH + timedelta(days=n)) for n in range(3)]
    )
    programs = data_dir / "programs"
    programs.mkdir(parents=True, exist_ok=True)
    (programs / "entity_extractor.json").write_text('{"demos": []}')
    return {"read": read, "waiting": waiting}


def snapshot_of_journal() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    found = {}
    for entry in list_entries():
        detail = get_entry(entry.uuid)
        assert detail is not None
        names = tuple(e.name for e in detail.entities)
        found[entry.uuid] = (entry.content, entry.state, names)
    return found


def restore_into(new_dir: Path, archive: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    close_db()
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(new_dir))
    return main(["restore", str(archive), *extra])


def test_backup_mid_backlog_restores_every_entry_entity_and_waiting_mark(
    db: object,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded = seed_mid_backlog(data_dir)
    before = snapshot_of_journal()
    archive = tmp_path / "backups" / "charlie.tar.gz"
    # This process keeps the server open, as the app does: the backup joins it.
    assert main(["backup", str(archive)]) == 0
    assert capsys.readouterr().out.startswith(f"backed up to {archive}")
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "db/charlie.db", "programs/entity_extractor.json"} <= set(
            tar.getnames()
        )
    restored = tmp_path / "restored"
    assert restore_into(restored, archive, monkeypatch) == 0
    assert snapshot_of_journal() == before
    assert {uuid for uuid, (_, state, _) in before.items() if state == "waiting"} == set(
        seeded["waiting"]
    )
    assert before[seeded["read"][1]][2] == ("Lisbon", "Tom")
    assert sorted(episode_keys()) == sorted(f"episode:{u}" for u in seeded["waiting"])
    assert bind_queue().pending_count() == 3  # the queued reads came along too
    assert (restored / "programs" / "entity_extractor.json").read_text() == '{"demos": []}'
    # It opens as a normal journal again: the append-only file was written from the snapshot.
    close_db()
    assert snapshot_of_journal() == before


def test_restore_refuses_a_data_dir_with_a_journal_unless_forced(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    read_entry_as("The only entry.")
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    other = tmp_path / "other"
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(other))
    read_entry_as("Something else, already here.")
    assert restore_into(other, archive, monkeypatch) == 1
    assert "already holds a journal" in capsys.readouterr().err
    assert [e.content for e in list_entries()] == ["Something else, already here."]
    assert restore_into(other, archive, monkeypatch, "--force") == 0
    assert [e.content for e in list_entries()] == ["The only entry."]


def test_restore_refuses_while_the_app_is_open(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    read_entry_as("Kept.")
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    target = tmp_path / "target"
    with InstanceLock(target):
        assert restore_into(target, archive, monkeypatch) == 1
    assert "Charlie is already open" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not a tar at all", "is not a readable backup"),
        ("evil", "not a backup"),
        ("no manifest", "has no manifest"),
    ],
)
def test_a_bad_archive_is_refused_with_the_reason(
    data_dir: Path, tmp_path: Path, monkeypatch, capsys, content: bytes | str, said: str
) -> None:
    archive = tmp_path / "bad.tar.gz"
    if isinstance(content, bytes):
        archive.write_bytes(content)
    else:
        with tarfile.open(archive, "w:gz") as tar:
            name = "../../escape.txt" if content == "evil" else "db/charlie.db"
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    assert restore_into(tmp_path / "new", archive, monkeypatch) == 1
    assert said in capsys.readouterr().err
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.slow
def test_a_real_worker_reads_the_restored_backlog(
    db: object, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed_mid_backlog(data_dir)
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert restore_into(tmp_path / "restored", archive, monkeypatch) == 0
    close_db()
    # No app: the worker starts the restored database itself; this process then joins it.
    worker = subprocess.Popen([*WORKER_CMD, "--log-file", str(tmp_path / "worker.log")])
    try:
        wait_until(lambda: list_entries() and not episode_keys(), 300, "the restored backlog")
        states = {e.uuid: e.state for e in list_entries()}
        assert all(states[u] == "done" for u in seeded["waiting"] + seeded["read"])
        assert "Sarah" in {e.name for e in get_entry(seeded["waiting"][0]).entities}  # type: ignore[union-attr]
    finally:
        stop_process(worker)


def test_the_settings_file_travels_but_never_replaces_one_in_place(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from charlie_worker import settings_file

    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text('[llm]\nmodel_path = "/models/qwen.gguf"\n')
    read_entry_as("The only entry.")
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    with tarfile.open(archive) as opened:
        assert "settings.toml" in opened.getnames()

    monkeypatch.setenv("CHARLIE_SETTINGS_FILE", str(tmp_path / "new-machine" / "settings.toml"))
    assert restore_into(tmp_path / "fresh", archive, monkeypatch) == 0
    assert "restored the settings file" in capsys.readouterr().out
    assert "qwen.gguf" in settings_file().read_text()

    settings_file().write_text('[llm]\nmodel_path = "/models/mine.gguf"\n')
    assert restore_into(tmp_path / "fresh2", archive, monkeypatch) == 0
    assert "kept this machine's settings file" in capsys.readouterr().out
    assert "mine.gguf" in settings_file().read_text()

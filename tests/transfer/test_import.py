"""``charlie-tui import`` on the real embedded FalkorDB: what lands in the journal, re-imports,
dry runs, bad input and exit codes, the queue, and an import while the app and worker run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from charlie_tui.cli import main
from charlie_tui.instance import InstanceLock
from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import socket_path
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry, list_entries
from charlie_worker.store.queue import bind_queue
from kit.processes import WORKER_CMD, episode_keys, stop_process, wait_until
from kit.sources import (
    dayone_entry,
    dayone_zip,
    generated_dayone,
    jrnl_entry,
    jrnl_journal,
    jrnl_json,
    text_file,
)

MOMENT = datetime(2024, 3, 5, 9, 12, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``charlie-tui import ...`` in this process; (exit code, what it printed)."""
    code = main(["import", *map(str, args)])
    return code, capsys.readouterr().out


def summary(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_dayone_import_saves_entries_queued_as_backlog(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = dayone_zip(tmp_path / "export.zip", generated_dayone(5))
    code, out = run(capsys, "dayone", source)
    assert code == 0
    assert summary(out) == "imported 5 · already there 0 · skipped 0"
    entries = list_entries()
    assert [e.content.split("\n")[0] for e in entries] == [
        f"Day {n}. Walked to the market with Priya! " for n in (4, 3, 2, 1, 0)
    ]
    assert {e.state for e in entries} == {"waiting"}
    assert bind_queue().pending_count() == 5
    assert entries[-1].date == datetime(2019, 1, 1, 8, 30, tzinfo=UTC)


def test_reimporting_adds_nothing_in_any_format(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zipped = dayone_zip(tmp_path / "export.zip", generated_dayone(3))
    folder = tmp_path / "notes"
    text_file(folder / "2024-01-01.md", "New year.")
    text_file(folder / "a" / "b.txt", "---\ndate: 2024-02-02T10:00:00+02:00\n---\nNested.")
    journal = jrnl_json(
        tmp_path / "jrnl.json", [jrnl_entry("2024-03-05", "09:12", "Met Sarah.", "Coffee.")]
    )
    kept = jrnl_journal(
        tmp_path / "journal.txt", [(datetime(2024, 3, 6, 8, 0), "Ran by the canal.", "", True)]
    )
    sources = (("dayone", zipped, 3), ("files", folder, 2), ("jrnl", journal, 1), ("jrnl", kept, 1))
    for kind, source, count in sources:
        assert run(capsys, kind, source)[0] == 0
        code, out = run(capsys, kind, source)
        assert code == 0  # nothing new is not a failure
        assert summary(out) == f"imported 0 · already there {count} · skipped 0"
    assert len(list_entries()) == 7


def test_dry_run_lists_and_writes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = dayone_zip(tmp_path / "export.zip", generated_dayone(2))
    code, out = run(capsys, "dayone", source, "--dry-run")
    assert code == 0
    assert summary(out) == "would import 2 · already there 0 · skipped 0"
    assert "would import  2019-01-01T08:30+00:00  export.zip:Journal.json entry 1  Day 0." in out
    assert list_entries() == []
    assert bind_queue().pending_count() == 0


def test_bad_items_are_reported_and_the_rest_imported(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARLIE_MAX_ENTRY_CHARS", "40")
    folder = tmp_path / "notes"
    text_file(folder / "short.md", "Short enough.")
    text_file(folder / "long.md", "This entry goes on and on, far past the limit set.")
    text_file(folder / "binary.md", b"\x00\x01binary")
    code, out = run(capsys, "files", folder)
    assert code == 0
    assert "skipped  binary.md: a binary file, not text" in out
    assert "skipped  long.md: The entry is too long: 50 characters, the limit is 40." in out
    assert summary(out) == "imported 1 · already there 0 · skipped 2"
    assert [e.content for e in list_entries()] == ["Short enough."]


@pytest.mark.parametrize(
    ("kind", "name", "content", "reason"),
    [
        ("dayone", "corrupt.zip", b"PK\x03\x04 cut short", "not a readable zip file"),
        ("dayone", "wrong.json", b'{"items": []}', 'not a Day One export: no "entries" list'),
        ("jrnl", "wrong.json", b'{"entries": {"a": 1}}', 'not a jrnl export: no "entries" list'),
        ("jrnl", "binary.json", b"\x89PNG\x00\x00", "not a jrnl journal (not text)"),
        ("jrnl", "notes.txt", b"Just some notes.\n", "not a jrnl journal: no line starts"),
    ],
)
def test_nothing_importable_exits_non_zero_with_the_reason(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    code, out = run(capsys, kind, source)
    assert code == 1
    assert f"skipped  {source}: {reason}" in out
    assert summary(out) == "imported 0 · already there 0 · skipped 1"


def test_an_entry_over_the_limit_in_a_dayone_export_is_the_only_one_skipped(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARLIE_MAX_ENTRY_CHARS", "20")
    entries = [
        dayone_entry("A" * 32, MOMENT, "Short."),
        dayone_entry("B" * 32, MOMENT, "x" * 21),
        dayone_entry("C" * 32, MOMENT + timedelta(days=1), "Also short."),
    ]
    code, out = run(capsys, "dayone", dayone_zip(tmp_path / "e.zip", entries))
    assert code == 0
    assert "skipped  e.zip:Journal.json entry 2: The entry is too long" in out
    assert sorted(e.content for e in list_entries()) == ["Also short.", "Short."]


def test_an_unknown_journal_name_is_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = dayone_zip(tmp_path / "e.zip", generated_dayone(1))
    assert main(["import", "dayone", str(source), "--journal", "bad\x01name"]) == 2
    assert "control characters" in capsys.readouterr().err


@pytest.mark.slow
def test_import_while_the_app_is_open_is_read_by_its_worker(
    db: object, data_dir: Path, tmp_path: Path
) -> None:
    """The app's side: this process holds the instance lock and the server, and runs the
    worker on it. The import, another process, joins that server; the worker reads every
    imported entry, and an entry the user writes meanwhile is read too."""
    lock = InstanceLock(data_dir)
    lock.acquire()
    worker = subprocess.Popen(
        [*WORKER_CMD, "--log-file", str(tmp_path / "worker.log")],
        env={**os.environ, WorkerSettings.env_name("redis_socket"): socket_path()},
    )
    try:
        source = dayone_zip(tmp_path / "export.zip", generated_dayone(4))
        result = subprocess.run(
            [sys.executable, "-m", "charlie_tui.cli", "import", "dayone", str(source)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "imported 4 · already there 0 · skipped 0"
        mine = save_entry("Written while the import is read: tea with Tom.")
        wait_until(lambda: not episode_keys(), 300, "the worker to read every entry")
        entries = list_entries()
        assert len(entries) == 5 and {e.state for e in entries} == {"done"}
        assert get_entry(mine).state == "done"  # type: ignore[union-attr]
        assert any("Priya" in {x.name for x in get_entry(e.uuid).entities} for e in entries)  # type: ignore[union-attr]
    finally:
        assert stop_process(worker) == 0 or worker.returncode == -signal.SIGTERM
        lock.release()

"""``kill -9`` of the app's command line in the middle of an import or a backup.

The real ``charlie-tui`` command runs through ``kit.crash``, which SIGKILLs it at one step,
beside a database this test holds open (as the app would). An interrupted import, run again,
completes without a duplicate, and the worker then reads every entry once and leaves nothing
to do in redis; an interrupted backup leaves no file under the archive's name, and the next
one is complete. Neither an interrupted backup nor an interrupted restore leaves a copy of the
journal behind: not in the temp dir, and the next one removes what it left in the data dir.
"""

from __future__ import annotations

import signal
import subprocess
import tarfile
from pathlib import Path

import pytest

from charlie_tui.backup import scratch
from charlie_tui.cli import main as tui
from charlie_worker.store.connection import close_db
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry, list_entries
from kit import crash

pytestmark = pytest.mark.slow  # each runs charlie-tui twice in a fresh process (~10 s each)

CHUNK = 5
"""Entries per bulk write in these imports: 12 entries make three writes."""
TEXTS = [f"Walked by the river with Okonkwo on day {n}." for n in range(12)]


def _run(step: str, *args: str, tmpdir: Path | None = None) -> int:
    """``charlie-tui ARGS`` killed at ``step`` (``none``: run to the end), under the umask
    most users have (022: files readable by all unless made private), with ``tmpdir`` as its
    temp dir if given; its exit code."""
    command = crash.command(step, "tui", *args, chunk=CHUNK)
    env = {**crash.env(), **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    done = subprocess.run(command, env=env, capture_output=True, timeout=300, umask=0o022)
    return done.returncode


def _scratch_left(data_dir: Path) -> list[str]:
    return [path.name for path in data_dir.glob(f"{scratch.PREFIX}*")]


@pytest.mark.parametrize("step", ["import_marks", "import_chunk"])
def test_an_import_killed_mid_way_completes_on_a_rerun_without_duplicates(
    db, workers, rb, tmp_path: Path, step: str
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for n, text in enumerate(TEXTS):
        (notes / f"{n:02}.txt").write_text(text)
    assert _run(step, "import", "files", str(notes)) == -signal.SIGKILL
    saved = [e.content for e in list_entries(limit=100)]
    assert 0 < len(saved) < len(TEXTS), "the kill did not land between two bulk writes"

    assert _run("none", "import", "files", str(notes)) == 0
    entries = list_entries(limit=100)
    assert sorted(e.content for e in entries) == sorted(TEXTS)

    log = ["--log-file", str(workers.log)]
    worker = workers.start_command(crash.command("none", "worker", *log, fake_lm=True), crash.env())
    rb.wait_for(lambda: not rb.episode_keys(), 120, "the imported backlog to be read")
    assert workers.stop(worker) == 0
    for entry in entries:
        assert [e.name for e in get_entry(entry.uuid).entities] == ["Okonkwo"]
        assert crash.reads(workers.log, entry.uuid) == 1
    assert rb.graph_problems() == []
    assert crash.still_to_do() == []


@pytest.mark.parametrize("step", ["backup_snapshot", "backup_archive", "backup_rename"])
def test_a_backup_killed_mid_way_leaves_no_archive_and_the_next_one_is_whole(
    db, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    uuids = [save_entry(text) for text in TEXTS[:3]]
    out = tmp_path / "backups" / "charlie.tar.gz"
    out.parent.mkdir()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    assert _run(step, "backup", str(out), tmpdir=tmpdir) == -signal.SIGKILL
    assert not out.exists(), "a killed backup left a file under the archive's name"
    assert list(tmpdir.iterdir()) == [], "a killed backup left its snapshot in the temp dir"
    for left in out.parent.iterdir():  # at most NAME.partial, private like the journal
        assert (left.name, left.stat().st_mode & 0o777) == (f"{out.name}.partial", 0o600)

    assert _run("none", "backup", str(out)) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    assert _scratch_left(data_dir) == [], "the next backup did not remove the killed one's"
    assert out.stat().st_mode & 0o777 == 0o600
    with tarfile.open(out) as archive:  # reads it to the end: a cut archive raises
        assert {"manifest.json", "db/charlie.db"} <= set(archive.getnames())
    close_db()
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / "restored"))
    assert tui(["restore", str(out)]) == 0
    assert sorted(e.uuid for e in list_entries()) == sorted(uuids)


def test_a_restore_killed_mid_way_leaves_nothing_and_runs_again(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed with the archive unpacked: the rerun is not refused as a restore over a journal
    (no ``--force``), and the unpacked copy is gone."""
    uuids = [save_entry(text) for text in TEXTS[:3]]
    out = tmp_path / "charlie.tar.gz"
    assert tui(["backup", str(out)]) == 0
    restored = tmp_path / "restored"
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(restored))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    assert _run("restore_unpacked", "restore", str(out), tmpdir=tmpdir) == -signal.SIGKILL
    assert list(tmpdir.iterdir()) == [], "a killed restore left the archive unpacked in /tmp"

    assert _run("none", "restore", str(out)) == 0
    assert _scratch_left(restored) == []
    assert sorted(e.uuid for e in list_entries()) == sorted(uuids)

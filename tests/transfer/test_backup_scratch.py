"""Where a backup keeps its snapshot and a restore its unpacked archive: a private directory in
the data dir, gone afterwards, and removed by the next backup or restore when its command was
killed (``robustness/test_crash_commands.py`` kills the real commands)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from charlie_tui.backup.scratch import PREFIX, scratch_dir, sweep


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_scratch_dir_is_private_in_the_data_dir_and_removed_afterwards(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with scratch_dir(data_dir) as scratch:
        (scratch / "charlie.db").write_bytes(b"a whole journal")
        assert scratch.parent == data_dir
        assert scratch.name.startswith(f"{PREFIX}{os.getpid()}-")
        assert scratch.stat().st_mode & 0o777 == 0o700
    assert list(data_dir.iterdir()) == []


def test_the_scratch_dir_is_removed_when_the_backup_fails(tmp_path: Path) -> None:
    with pytest.raises(OSError), scratch_dir(tmp_path) as scratch:
        (scratch / "charlie.db").write_bytes(b"half a snapshot")
        raise OSError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_removes_the_dirs_of_dead_commands_only(tmp_path: Path) -> None:
    killed = tmp_path / f"{PREFIX}{dead_pid()}-abc"
    running = tmp_path / f"{PREFIX}{os.getpid()}-def"
    unnamed = tmp_path / f"{PREFIX}xyz"
    for path in (killed, running, unnamed):
        path.mkdir()
        (path / "charlie.db").write_bytes(b"a whole journal")
    journal = tmp_path / "charlie.db"
    journal.write_bytes(b"the journal itself")
    sweep(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, journal.name])


def test_a_new_scratch_dir_sweeps_first(tmp_path: Path) -> None:
    killed = tmp_path / f"{PREFIX}{dead_pid()}-abc"
    killed.mkdir()
    with scratch_dir(tmp_path):
        assert not killed.exists()

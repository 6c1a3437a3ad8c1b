"""Everything the journal writes is private whatever the umask, and whatever an older version
left open is tightened on next use: the db dir and its AOF files, the worker's log, the
instance lock, a backup archive."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from charlie_tui.backup.archive import write_backup
from charlie_tui.instance import InstanceLock
from charlie_tui.worker_process import WorkerProcess
from charlie_worker.store.connection import close_db, get_redis
from charlie_worker.store.journal import save_entry
from kit.modes import too_open
from kit.processes import wait_until


@pytest.fixture
def careless_umask() -> Iterator[None]:
    """The common 022: new files readable by everyone unless the code says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _open_up(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_an_open_db_tree_is_tightened_on_open(data_dir: Path, careless_umask: None) -> None:
    save_entry("Private thoughts about Sarah.")
    close_db()  # the RDB snapshot, the AOF dir and files, the lock: all on disk now
    _open_up(data_dir)
    assert len(too_open(data_dir)) >= 5
    get_redis().ping()
    assert too_open(data_dir / "db") == []
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_the_worker_log_is_private_and_tightened(tmp_path: Path, careless_umask: None) -> None:
    log = tmp_path / "data" / "logs" / "worker.log"
    worker = WorkerProcess("", log, command=[sys.executable, "-c", "print('quoted entry')"])
    _run_once(worker)
    assert log.read_text() == "quoted entry\n"
    assert too_open(log.parent) == []
    _open_up(log.parent)
    _run_once(worker)
    assert too_open(log.parent) == []
    assert log.read_text() == "quoted entry\n" * 2


def _run_once(worker: WorkerProcess) -> None:
    worker.start()
    wait_until(lambda: worker.supervise().phase == "restarting", 30, "the command to exit")
    worker.stop()


def test_the_instance_lock_is_tightened(tmp_path: Path, careless_umask: None) -> None:
    lock = InstanceLock(tmp_path)
    lock.path.write_text("")
    lock.path.chmod(0o644)
    with lock:
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600


def test_a_backup_is_private_whatever_the_umask(
    data_dir: Path, tmp_path: Path, careless_umask: None
) -> None:
    save_entry("Backed up.")
    out = tmp_path / "backup.tar.gz"
    write_backup(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

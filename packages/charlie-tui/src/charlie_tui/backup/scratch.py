"""Room for a backup's database snapshot, or a restore's unpacked archive, inside the data dir.

Either is a whole journal. In the system's temp dir, a command killed mid-way (SIGKILL, the
OOM killer, a power cut: no ``finally`` runs) left it there for good, on a disk the user does
not watch. Here it lives in the data dir (private like the journal, on its disk) in a
directory whose name says what it is and which command made it, ``.backup-scratch-<pid>-…``;
every backup and restore first removes those whose process is gone. The pid, not a lock,
marks one in use: a command's own pid is alive from the moment it creates its directory, so a
sweep never removes a live one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = ".backup-scratch-"


@contextlib.contextmanager
def scratch_dir(data_dir: Path) -> Iterator[Path]:
    """A fresh private directory in ``data_dir``, removed afterwards (or by the next backup
    or restore, if this process is killed meanwhile)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    sweep(data_dir)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=data_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep(data_dir: Path) -> None:
    """Remove the scratch directories of backups and restores that were killed."""
    if not data_dir.is_dir():
        return
    for path in data_dir.glob(f"{PREFIX}*"):
        if path.is_dir() and not _alive(_owner(path)):
            shutil.rmtree(path, ignore_errors=True)


def _owner(path: Path) -> int:
    """The pid in the directory's name (0, so removed, when there is none)."""
    pid = path.name.removeprefix(PREFIX).split("-", 1)[0]
    return int(pid) if pid.isdigit() else 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True

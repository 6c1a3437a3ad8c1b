"""One app per data dir: a second ``charlie-tui`` on the same journal is refused up front.

Two apps would each spawn a worker and race on the same episodes, and closing one would pull
the database server from under the other. The lock is an exclusive ``flock`` that the kernel
drops when the process dies, even by SIGKILL, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

LOCK_NAME = "charlie-tui.lock"


class AlreadyOpenError(RuntimeError):
    """Another app holds the data dir; the message is meant for the user."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        owner = f"pid {pid}" if pid else "another process"
        super().__init__(
            f"Charlie is already open on {data_dir} ({owner}). Switch to that window, or quit "
            "it first. To open a different journal, set CHARLIE_DATA_DIR."
        )
        self.pid = pid


class InstanceLock:
    """An exclusive, non-blocking lock on ``<data_dir>/charlie-tui.lock`` holding our pid."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyOpenError naming the holder's pid."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_CLOEXEC (Python's default): the worker subprocess must not inherit the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # tightened if an older version left it open
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise AlreadyOpenError(self.data_dir, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    """The holder's pid, or None while it has not written it yet."""
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip()) or None
    return None

"""What the app owns besides its screens: the database connection and the worker process.

Order matters both ways. The database opens first and the worker joins its server; on the
way out the worker stops first, so the app's ``close_db()`` is the last client and shuts the
server down with it (a server left with a client keeps running).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from charlie_worker import Journal, QueueState, WorkerStatus

from .worker_process import GRACEFUL_TIMEOUT_S, ProcessState, WorkerProcess

WORKER_LOG = Path("logs") / "worker.log"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll: the worker process, the worker's own report, and the queue."""

    process: ProcessState | None
    worker: WorkerStatus
    queue: QueueState
    paused: bool = False
    """The user paused reading: the app runs no worker until they resume."""
    server_restarted: bool = False
    """The database server had died (killed, or stopped by the script that started it) and
    was started again before this poll; the worker restarts on it."""


class Runtime:
    """Opens, polls and closes; every method blocks, so the app calls them from threads."""

    def __init__(
        self,
        journal: Journal,
        data_dir: Path,
        *,
        start_worker: bool = True,
        graceful_timeout: float = GRACEFUL_TIMEOUT_S,
    ) -> None:
        self.journal = journal
        self.log_path = data_dir / WORKER_LOG
        self._start_worker = start_worker
        self._graceful_timeout = graceful_timeout
        self._lock = threading.Lock()
        self._closed = False
        self.process: WorkerProcess | None = None

    def open(self) -> None:
        """Open the database, then start the worker on its server (unless told not to, or
        the user paused reading)."""
        socket = self.journal.open()
        paused = self.journal.reading.paused()
        with self._lock:
            if self._closed or not self._start_worker:
                return
            self.process = WorkerProcess(
                socket, self.log_path, graceful_timeout=self._graceful_timeout
            )
            if not paused:
                self.process.start()

    def poll(self) -> Snapshot:
        """Start the database server again if it died, supervise the worker process (unless
        reading is paused), then read its report and the queue."""
        socket = self.journal.reopen_if_lost()
        if socket is not None and self.process is not None:
            self.process.use_server(socket)
        paused = self.journal.reading.paused()
        process = None
        if self.process is not None:
            process = self.process.state() if paused else self.process.supervise()
        worker, queue = self.journal.worker_status(), self.journal.queue()
        return Snapshot(process, worker, queue, paused, server_restarted=socket is not None)

    def pause(self) -> None:
        """Remember the pause, then stop the worker gracefully (it finishes its entry)."""
        self.journal.reading.pause()
        if self.process is not None:
            self.process.stop()

    def resume(self) -> None:
        """Forget the pause and start the worker again."""
        self.journal.reading.resume()
        with self._lock:
            if self.process is not None and not self._closed:
                self.process.start()

    def close(self) -> None:
        """Stop the worker gracefully, then close the database. Idempotent."""
        with self._lock:
            self._closed = True
            process = self.process
        if process is not None:
            process.stop()
        self.journal.close()

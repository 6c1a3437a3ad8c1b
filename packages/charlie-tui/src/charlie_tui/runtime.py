"""What the app owns besides its screens: its hold on the data dir, the database connection and
the worker process.

Importing this module imports no store: the store's stack (pydantic settings, redis, FalkorDB,
Huey) is most of the app's start-up time, so the app draws its first frame, then calls
``open()`` from a thread, and that reads the settings, claims the data dir, imports the store
and opens it.

Order matters both ways. The database opens first and the worker joins its server; on the
way out the worker stops first, so the app's ``close_db()`` is the last client and shuts the
server down with it (a server left with a client keeps running).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .instance import AlreadyOpenError, InstanceLock
from .worker_process import GRACEFUL_TIMEOUT_S, ProcessState, WorkerProcess

if TYPE_CHECKING:
    from charlie_worker import Journal, QueueState, WorkerStatus

APP_LOG = Path("logs") / "charlie-tui.log"
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


class JournalOpening:
    """The journal as the first screen holds it until the database has opened: a stand-in
    that says it is not open, so the screen reads nothing and the keys that need a journal
    stay off. The real ``Journal`` comes with the store (the app hands it over once open)."""

    is_open = False


class StartupError(RuntimeError):
    """The app cannot start on this data dir: a setting is invalid, or another app has it
    open. The message is for the user, ``exit_code`` for the shell."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Runtime:
    """Opens, polls and closes; every method blocks, so the app calls them from threads.

    ``journal`` names the journal (None: the default one). ``claim`` takes the data dir for
    this process before opening it: the instance lock, then the app's log file (the command
    line's app does; tests and embedders run without).
    """

    def __init__(
        self,
        journal: str | None = None,
        *,
        start_worker: bool = True,
        graceful_timeout: float = GRACEFUL_TIMEOUT_S,
        claim: bool = False,
    ) -> None:
        self._journal_name = journal
        self._start_worker = start_worker
        self._graceful_timeout = graceful_timeout
        self._claim = claim
        self._lock = threading.Lock()
        self._closed = False
        self._journal: Journal | None = None
        self._instance: InstanceLock | None = None
        self.data_dir: Path | None = None
        """Known once ``open()`` has read the settings."""
        self.keys: dict[str, str] = {}
        """The user's keys by binding id (``AppSettings.keys``), read by ``open()``."""
        self.process: WorkerProcess | None = None

    @property
    def journal(self) -> Journal:
        """The journal ``open()`` opened (the app asks only after that)."""
        if self._journal is None:
            raise RuntimeError("The journal is not open yet.")
        return self._journal

    @property
    def log_path(self) -> Path:
        """The worker's log file."""
        if self.data_dir is None:
            raise RuntimeError("The data dir is not known yet.")
        return self.data_dir / WORKER_LOG

    def open(self) -> Journal:
        """Read the settings and claim the data dir, open the database, then start the worker
        on its server (unless told not to, or the user paused reading)."""
        from charlie_worker import Journal, JournalClosedError

        from .settings import INVALID_SETTING, AppSettings

        try:
            settings = AppSettings()
        except INVALID_SETTING as exc:
            raise StartupError(f"charlie-tui: a setting is invalid:\n{exc}", 2) from None
        self.data_dir, self.keys = settings.data_dir, settings.keys
        with self._lock:
            if self._closed:
                raise JournalClosedError("The app closed before the journal opened.")
            if self._claim:
                self._instance = claim_data_dir(self.data_dir)
            journal = Journal(self._journal_name) if self._journal_name else Journal()
            self._journal = journal
        socket = journal.open()
        paused = journal.reading.paused()
        with self._lock:
            if self._closed or not self._start_worker:
                return journal
            self.process = WorkerProcess(
                socket, self.log_path, graceful_timeout=self._graceful_timeout
            )
            if not paused:
                self.process.start()
        return journal

    def poll(self) -> Snapshot:
        """Start the database server again if it died, supervise the worker process (unless
        reading is paused), then read its report and the queue."""
        journal = self.journal
        socket = journal.reopen_if_lost()
        if socket is not None and self.process is not None:
            self.process.use_server(socket)
        paused = journal.reading.paused()
        process = None
        if self.process is not None:
            process = self.process.state() if paused else self.process.supervise()
        worker, queue = journal.worker_status(), journal.queue()
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
        """Stop the worker gracefully, close the database, then let go of the data dir.
        Idempotent, and safe while ``open()`` is still running: it opens nothing after."""
        with self._lock:
            self._closed = True
            process, journal, instance = self.process, self._journal, self._instance
        if process is not None:
            process.stop()
        if journal is not None:
            journal.close()
        if instance is not None:
            instance.release()


def claim_data_dir(data_dir: Path) -> InstanceLock:
    """Take ``data_dir`` for this app: the instance lock, then the app's log file."""
    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
        log_to_file(data_dir / APP_LOG)
    except AlreadyOpenError as exc:
        raise StartupError(str(exc), 1) from None
    except OSError as exc:
        lock.release()
        raise StartupError(f"charlie-tui: cannot use the data dir {data_dir}: {exc}", 1) from None
    return lock


def log_to_file(path: Path) -> None:
    """Log to a file: anything written to the terminal would tear through the screen. The log
    quotes entries, so it is private (0600), even if an older version left it readable."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)

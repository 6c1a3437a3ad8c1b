"""The worker subprocess: started once the database is open, restarted with backoff if it
dies, stopped gracefully on quit.

The worker joins the app's database server through ``CHARLIE_REDIS_SOCKET`` and watches
``CHARLIE_PARENT_PID``, so it exits by itself if the app is killed. Its output goes to a log
file: a traceback written to the terminal would tear through the TUI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

Phase = Literal["running", "restarting", "stopping", "stopped"]

GRACEFUL_TIMEOUT_S = 10.0
"""How long the worker may finish the entry it is reading when the app quits; an entry cut
short stays waiting and is read on the next start."""
KILL_GRACE_S = 5.0
"""Extra wait after the graceful timeout before SIGKILL (the worker also closes its state)."""
MAX_BACKOFF_S = 60.0
STABLE_AFTER_S = 60.0
"""A run at least this long was healthy: the next crash restarts after 1 s again."""


@dataclass(frozen=True, slots=True)
class ProcessState:
    """What the app knows about its worker process (the worker's own report is separate)."""

    phase: Phase
    pid: int | None = None
    exit_code: int | None = None
    """How the last run ended (negative: killed by that signal)."""
    restart_in: float = 0.0
    restarts: int = 0


def worker_command(log_path: Path, graceful_timeout: float) -> list[str]:
    """The worker's command line, run with this interpreter."""
    return [
        sys.executable,
        "-m",
        "charlie_worker",
        "--log-file",
        str(log_path),
        "--graceful-timeout",
        str(graceful_timeout),
    ]


def _private_log(path: Path) -> BinaryIO:
    """The worker's log (it quotes entries) opened to append: 0600 in a 0700 dir, whatever
    the app's umask, and tightened if an older version left it open."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


class WorkerProcess:
    """Owns one worker subprocess at a time. Thread-safe: the app polls it from a thread."""

    def __init__(
        self,
        socket: str,
        log_path: Path,
        *,
        graceful_timeout: float = GRACEFUL_TIMEOUT_S,
        command: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._socket = socket
        self._log_path = log_path
        self._graceful_timeout = graceful_timeout
        self._command = list(command or worker_command(log_path, graceful_timeout))
        self._clock = clock
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._phase: Phase = "stopped"
        self._started_at = 0.0
        self._restart_at = 0.0
        self._failures = 0
        self._restarts = 0
        self._exit_code: int | None = None

    def start(self) -> ProcessState:
        with self._lock:
            if self._phase != "running":
                self._spawn()
            return self._state()

    def supervise(self) -> ProcessState:
        """Notice an exit and schedule a restart, or restart when the backoff has passed."""
        with self._lock:
            now = self._clock()
            if self._phase == "running" and self._proc and self._proc.poll() is not None:
                self._exit_code = self._proc.returncode
                healthy = now - self._started_at >= STABLE_AFTER_S
                self._failures = 1 if healthy else self._failures + 1
                self._restart_at = now + min(2.0 ** (self._failures - 1), MAX_BACKOFF_S)
                self._phase = "restarting"
            if self._phase == "restarting" and now >= self._restart_at:
                self._restarts += 1
                self._spawn()
            return self._state()

    def stop(self) -> ProcessState:
        """SIGTERM, wait for the graceful stop, then SIGKILL. Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._phase = "stopping"
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(self._graceful_timeout + KILL_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc is not None:
                self._exit_code = proc.returncode
            self._phase = "stopped"
            return self._state()

    def use_server(self, socket: str) -> None:
        """The database server was started again on ``socket``: the next start joins it. A
        worker still running on the old one exits by itself (``EXIT_SERVER_LOST``) and
        ``supervise`` restarts it here."""
        with self._lock:
            self._socket = socket

    def state(self) -> ProcessState:
        with self._lock:
            return self._state()

    def _spawn(self) -> None:
        from charlie_worker import WorkerSettings  # the store's settings: loaded by now

        env = {**os.environ, WorkerSettings.env_name("parent_pid"): str(os.getpid())}
        if self._socket:  # empty for an external server: the worker reads its URL itself
            env[WorkerSettings.env_name("redis_socket")] = self._socket
        with _private_log(self._log_path) as log:
            self._proc = subprocess.Popen(
                self._command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                # Its own session: a terminal's SIGINT/SIGHUP reaches the app, which then
                # stops the worker gracefully, instead of killing the worker mid-write.
                start_new_session=True,
            )
        self._started_at = self._clock()
        self._phase = "running"

    def _state(self) -> ProcessState:
        restart_in = max(0.0, self._restart_at - self._clock())
        return ProcessState(
            phase=self._phase,
            pid=self._proc.pid if self._proc and self._phase == "running" else None,
            exit_code=self._exit_code,
            restart_in=restart_in if self._phase == "restarting" else 0.0,
            restarts=self._restarts,
        )

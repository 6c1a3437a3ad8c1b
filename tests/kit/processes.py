"""Process and server helpers shared by the tests and the benchmarks (one copy of each).

``tests`` is on pytest's ``pythonpath``; ``bench/_common.py`` puts it on ``sys.path``
(conftest modules cannot import each other under ``--import-mode=importlib``).
Nothing here opens a database: the helpers that read redis use the caller's connection.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

WORKER_CMD: list[str] = [sys.executable, "-m", "charlie_worker"]
"""The real ``charlie-worker`` consumer, as the app starts it."""


# --------------------------------------------------------------------------- servers


def redis_servers_under(root: Path) -> list[psutil.Process]:
    """Live (not zombie) redis-servers whose working dir (their db dir) is under ``root``."""
    found = []
    root = root.resolve()
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] != "redis-server" or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if Path(proc.cwd()).is_relative_to(root):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def servers_left(root: Path, timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` s for the redis-servers under ``root`` to exit; those still
    running then (a server shuts down shortly after its last client closes)."""
    deadline = time.monotonic() + timeout
    while (left := redis_servers_under(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_servers_left(root: Path, timeout: float) -> list[psutil.Process]:
    """``servers_left``, each of them killed; returns them (empty: all went by themselves)."""
    left = servers_left(root, timeout)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return left


def assert_no_server_left(root: Path, timeout: float) -> None:
    """No redis-server under ``root`` may outlive its test: kill any, and fail."""
    left = kill_servers_left(root, timeout)
    assert not left, f"redis-server(s) left running: {[p.pid for p in left]}"


def episode_keys() -> list[str]:
    """Redis keys of entries the worker has not finished (a done entry's hash is deleted)."""
    from charlie_worker.store.connection import get_redis

    return list(get_redis().scan_iter(match="episode:*", count=1000))


# --------------------------------------------------------------------------- processes


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs; a zombie has exited (only its parent can still reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_until[T](condition: Callable[[], T], timeout: float, what: str, poll: float = 0.1) -> T:
    """Poll ``condition`` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(poll)
    return value


def stop_process(proc: subprocess.Popen[Any], timeout: float = 60.0) -> int:
    """The graceful stop the app uses (SIGTERM), then SIGKILL if it does not exit in
    ``timeout`` s; reaped either way. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait(30)


def workers_of(data_dir: Path) -> list[psutil.Process]:
    """Running ``charlie-worker`` processes whose command line names ``data_dir`` (their log
    file is in it)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            ours = any(str(data_dir) in part for part in cmdline)
            if "charlie_worker" in cmdline and ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def children_left(root_pid: int | None = None) -> list[psutil.Process]:
    """Live (not zombie) descendants of ``root_pid`` (default: this process)."""
    found = []
    for child in psutil.Process(root_pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
    return found


# --------------------------------------------------------------------------- terminals

ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]")
"""Terminal control sequences: taken out of what a pty shows before looking for text in it."""


def start_in_pty(
    args: Sequence[str], env: dict[str, str], rows: int = 30, cols: int = 120
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``args`` on a new pseudo-terminal of ``rows`` x ``cols`` (``TERM`` xterm); the
    process and the pty's master side (the caller reads it, and closes it).

    The process runs in a session of its own, so the pty is not its controlling terminal:
    closing the master hangs the terminal up without a SIGHUP to the process, as when a
    harness that holds the pty dies.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        proc = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,  # Textual draws on stderr
            env={**env, "TERM": "xterm-256color"},
            start_new_session=True,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master


def read_pty_until(master: int, text: bytes, timeout: float) -> None:
    """Read the pty until ``text`` has been drawn (control sequences aside); reading also
    keeps the process from blocking on a full terminal."""
    shown = b""
    deadline = time.monotonic() + timeout
    while text not in ESCAPES.sub(b"", shown):
        assert time.monotonic() < deadline, f"{text!r} not drawn in {timeout:.0f} s"
        if select.select([master], [], [], 0.1)[0]:
            shown += os.read(master, 1 << 16)


def run_child(
    args: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 300,
    *,
    check: bool = True,
) -> dict[str, Any]:
    """Run ``python args...`` in a fresh process (``env`` added to this one's); its last
    stdout line is JSON, returned parsed, with ``returncode`` added. ``check``: a non-zero
    exit (or no output) raises, with the child's stderr."""
    result = subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if not lines or (check and result.returncode != 0):
        raise RuntimeError(f"child {args} failed ({result.returncode}): {result.stderr[-2000:]}")
    return {"returncode": result.returncode, **json.loads(lines[-1])}

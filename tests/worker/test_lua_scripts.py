"""The store's Lua scripts on a real server: each is sent once and then run by its digest
(EVALSHA), and they still run on a server that has forgotten them (a restarted server's
script cache is empty), on a connection, in a pipeline and inside a save's transaction."""

from __future__ import annotations

import pytest

from charlie_worker.store.changes import SAVED, changes_since, current_version, record_change
from charlie_worker.store.chunk_progress import save_chunk, saved_chunks
from charlie_worker.store.connection import get_redis
from charlie_worker.store.entries import NewEntry, add_entries
from charlie_worker.store.episode_state import (
    PENDING,
    count_backlog,
    finish_episode,
    get_episode_status,
    mark_episode_processing,
    reindex_backlog,
    release_episode,
    remove_episodes,
    requeue_episode,
    reset_processing_marks,
    set_episode_failed,
    set_episode_status,
)
from charlie_worker.store.journal import save_entry

pytestmark = pytest.mark.usefixtures("db", "enqueued")


def every_script() -> str:
    """Run each of the store's scripts once, on a connection, a pipeline and a transaction;
    returns the entry saved by the transaction."""
    uuid = save_entry("Lunch with Ada.")  # mark, node and change in one MULTI/EXEC
    one, two = add_entries([NewEntry("one"), NewEntry("two")])  # a pipeline
    token = mark_episode_processing(uuid)
    assert token is not None
    assert save_chunk(uuid, "Lunch with Ada.", [("Ada", "Person")])
    assert finish_episode(uuid, token)
    assert release_episode(one, mark_episode_processing(one) or "")
    assert reset_processing_marks() == 0  # a pipeline, over the entries still waiting
    assert set_episode_failed(two, "no model")
    requeue_episode(two, "default")
    set_episode_status("x", PENDING, journal="default")
    remove_episodes(["x"])
    record_change(SAVED, ["y"])
    reindex_backlog()
    return uuid


def calls(stats: dict[str, dict[str, int]], command: str) -> int:
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


def test_each_script_is_sent_once_then_run_by_its_digest() -> None:
    every_script()  # the first use sends them
    get_redis().config_resetstat()
    every_script()
    stats = get_redis().info("commandstats")
    assert calls(stats, "evalsha") > 0
    assert calls(stats, "eval") == 0  # never the script's text again
    assert calls(stats, "script|load") == 0


def test_scripts_run_on_a_server_that_forgot_them() -> None:
    """``SCRIPT FLUSH`` empties the cache as a restart does: a connection loads a script again
    on NOSCRIPT; a pipeline or a transaction loads what is missing before it runs."""
    every_script()
    get_redis().script_flush()
    before = current_version()
    uuid = save_entry("Dinner with Ada.")  # the transaction's scripts are gone
    assert get_episode_status(uuid) == PENDING
    assert changes_since(before).everything
    get_redis().script_flush()
    add_entries([NewEntry("three")])  # a pipeline of scripts per chunk of entries
    get_redis().script_flush()
    assert save_chunk(uuid, "Dinner with Ada.", [("Ada", "Person")])
    assert saved_chunks(uuid, ["Dinner with Ada."]) == {"Dinner with Ada.": [("Ada", "Person")]}
    get_redis().script_flush()
    every_script()
    assert count_backlog() == (6, 0)

"""The change log and the backlog counts on a real server: every write the list shows moves
the version and names what moved; no read does; the counts follow the states without a scan."""

from __future__ import annotations

import pytest

from charlie_worker.store.changes import (
    LOG_KEY,
    MAX_ENTRIES,
    STATE,
    VERSION_KEY,
    Changes,
    changes_since,
    current_version,
    record_change,
)
from charlie_worker.store.connection import get_redis
from charlie_worker.store.entries import NewEntry
from charlie_worker.store.episode_state import (
    PENDING,
    count_backlog,
    finish_episode,
    mark_episode_processing,
    reindex_backlog,
    release_episode,
    remove_episode_from_queue,
    requeue_episode,
    reset_processing_marks,
    set_episode_failed,
    set_episode_status,
)
from charlie_worker.store.journal import Journal
from kit.seeds import read_as, read_entry_as

pytestmark = pytest.mark.usefixtures("db", "enqueued")


@pytest.fixture
def journal() -> Journal:
    journal = Journal()
    journal.open()
    return journal


def after(version: int) -> Changes:
    """What a reader that had seen ``version`` is told now."""
    return changes_since(version)


def only_rows(version: int, *uuids: str) -> None:
    changes = after(version)
    assert changes == Changes(current_version(), frozenset(uuids), everything=False)


def everything(version: int) -> None:
    changes = after(version)
    assert changes.everything and changes.version == current_version() > version


# ----------------------------------------------------------------------------- writes


def test_saving_an_entry_reloads_the_list(journal: Journal) -> None:
    before = current_version()
    journal.add("Lunch with Ada.")
    everything(before)


def test_an_import_reloads_the_list(journal: Journal) -> None:
    before = current_version()
    journal.add_backlog([NewEntry("one"), NewEntry("two")])
    everything(before)


def test_editing_an_entry_reloads_the_list(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    before = current_version()
    journal.update(uuid, "Dinner with Ada.")
    everything(before)


def test_deleting_an_entry_reloads_the_list(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    before = current_version()
    assert journal.delete(uuid)
    everything(before)


def test_a_correction_reloads_the_list(journal: Journal) -> None:
    uuid = read_entry_as("Lunch with Ada.", ("Ada", "Person"))
    (ada,) = journal.entry(uuid).entities  # type: ignore[union-attr]
    before = current_version()
    undo = journal.curation.rename(ada.uuid, "Ada Lovelace")
    everything(before)
    before = current_version()
    journal.curation.undo(undo)
    everything(before)


def test_each_state_change_names_its_entry(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    for step in (
        lambda: mark_episode_processing(uuid, "host:1"),  # reading
        lambda: set_episode_failed(uuid, "no"),  # failed
        lambda: journal.retry(uuid),  # waiting again
    ):
        before = current_version()
        step()
        only_rows(before, uuid)


def test_reading_to_done_and_a_released_claim_name_their_entry(journal: Journal) -> None:
    first, second = journal.add("one"), journal.add("two")
    token = mark_episode_processing(first, "host:1")
    assert token is not None
    before = current_version()
    assert finish_episode(first, token)
    only_rows(before, first)
    token = mark_episode_processing(second, "host:1")
    assert token is not None
    before = current_version()
    assert release_episode(second, token)
    only_rows(before, second)


def test_the_worker_filing_what_it_found_names_the_entry(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    before = current_version()
    read_as(uuid, ("Ada", "Person"))
    only_rows(before, uuid)


def test_a_dead_workers_mark_dropped_at_recovery_names_the_entry(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    mark_episode_processing(uuid, "gone:1")  # no lease: that worker is dead
    before = current_version()
    assert reset_processing_marks() == 1
    only_rows(before, uuid)


def test_writes_that_change_nothing_record_nothing(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    set_episode_failed(uuid, "no")
    before = current_version()
    assert mark_episode_processing(uuid) is None  # not pending: no claim
    assert not finish_episode(uuid, "not-the-token")
    assert not release_episode(uuid, "not-the-token")
    assert not remove_episode_from_queue("no-such-entry")
    assert not set_episode_failed("no-such-entry", "no")
    assert after(before) == Changes(before, frozenset(), everything=False)


def test_reads_record_nothing(journal: Journal) -> None:
    uuid = read_entry_as("Lunch with Ada.", ("Ada", "Person"))
    journal.add("Waiting one.")
    before = current_version()
    journal.entries()
    journal.count()
    journal.search("Ada")
    journal.entry(uuid)
    journal.entities()
    journal.queue()
    journal.rows([uuid])
    journal.changes(0)
    journal.curation.find("Ada")
    assert current_version() == before


# ----------------------------------------------------------------------------- reading the log


def test_a_reader_gets_each_entry_once_and_moves_on(journal: Journal) -> None:
    uuid = journal.add("Lunch with Ada.")
    before = current_version()
    mark_episode_processing(uuid, "host:1")
    set_episode_failed(uuid, "no")
    changes = after(before)
    assert changes.entries == {uuid} and changes.version == before + 2
    assert after(changes.version) == Changes(changes.version, frozenset(), everything=False)


def test_more_changes_than_a_refresh_reads_reload_instead() -> None:
    before = current_version()
    for i in range(MAX_ENTRIES + 1):
        set_episode_status(f"e{i}", PENDING, journal="default")
    everything(before)


def test_a_gap_in_the_log_reloads() -> None:
    before = current_version()
    record_change("state", ["a"])
    get_redis().delete(LOG_KEY)  # the events after ``before`` are gone (trimmed)
    record_change("state", ["b"])
    everything(before)


def test_a_lost_counter_carries_on_from_the_log() -> None:
    set_episode_status("a", PENDING, journal="default")
    seen = current_version()
    get_redis().delete(VERSION_KEY)  # the log is now ahead of the counter
    set_episode_status("b", PENDING, journal="default")  # must not fail
    assert count_backlog() == (2, 0)
    only_rows(seen, "b")


def test_a_change_queued_in_a_transaction_is_recorded_when_it_runs() -> None:
    before = current_version()
    pipe = get_redis().pipeline(transaction=True)
    record_change(STATE, ["a", "b"], client=pipe)
    assert current_version() == before  # queued, not yet run
    pipe.execute()
    only_rows(before, "a", "b")


def test_a_reader_ahead_of_the_version_reloads() -> None:
    record_change("state", ["a"])
    changes = after(current_version() + 5)  # e.g. a restored, older journal
    assert changes.everything and changes.version == current_version()


# ----------------------------------------------------------------------------- counts


def test_the_counts_follow_every_state(journal: Journal) -> None:
    uuids = [journal.add(text) for text in ("one", "two", "three")]
    assert journal.queue().waiting == 3
    mark_episode_processing(uuids[0], "host:1")  # reading still counts as waiting
    set_episode_failed(uuids[1], "no")
    state = journal.queue()
    assert (state.waiting, state.failed) == (2, 1)
    requeue_episode(uuids[1], "default")
    journal.delete(uuids[2])
    read_as(uuids[0])
    state = journal.queue()
    assert (state.waiting, state.failed, state.version) == (1, 0, current_version())


def test_opening_a_journal_counts_hashes_written_without_the_sets(journal: Journal) -> None:
    client = get_redis()
    client.hset("episode:old", mapping={"status": PENDING, "journal": "default"})
    client.hset("episode:broken", mapping={"status": "failed", "journal": "default"})
    client.sadd("charlie:episodes:waiting", "gone")  # its hash was deleted by hand
    reindex_backlog()
    assert count_backlog() == (1, 1)


def test_rows_reads_only_the_entries_named(journal: Journal) -> None:
    done = read_entry_as("Lunch with Ada.", ("Ada", "Person"))
    waiting = journal.add("Waiting one.")
    journal.add("Not asked for.")
    rows = {row.entry.uuid: row for row in journal.rows([done, waiting, "no-such-entry"])}
    assert rows.keys() == {done, waiting}
    assert rows[done].entry.state == "done"
    assert [e.name for e in rows[done].entities] == ["Ada"]
    assert rows[waiting].entry.state == "waiting" and rows[waiting].entities == ()

"""Entry dates on a real graph: the date an entry is about, the list in date order page by
page, bulk saves with source ids, what counts as already imported, and the queue's priorities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.entries import (
    EntryError,
    NewEntry,
    add_entries,
    add_entry,
    update_entry,
)
from charlie_worker.store.episode_state import PENDING, get_episode_status
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.imports import already_there, save_backlog
from charlie_worker.store.journal import Journal
from charlie_worker.store.queries import get_entry, list_entries, list_page, search_entries
from charlie_worker.store.queue import BACKLOG, bind_queue, enqueue_reading

LISBON = timezone(timedelta(hours=1))
MARCH = datetime(2024, 3, 5, 9, 12, tzinfo=LISBON)

pytestmark = pytest.mark.usefixtures("db")


def test_an_entry_keeps_the_date_it_is_about_with_its_offset() -> None:
    uid = add_entry("Coffee in Alfama.", date=MARCH)
    entry = get_entry(uid)
    assert entry is not None
    assert entry.date == MARCH
    assert entry.date.utcoffset() == timedelta(hours=1)  # not turned into UTC or local time
    assert entry.created_at > MARCH.timestamp()  # saved now, about March


def test_without_a_date_an_entry_is_about_the_moment_it_is_saved() -> None:
    before = datetime.now(UTC)
    entry = get_entry(add_entry("Written just now."))
    assert entry is not None
    assert entry.date.tzinfo is not None
    assert before - timedelta(seconds=1) <= entry.date <= datetime.now(UTC)
    assert entry.date.timestamp() == pytest.approx(entry.created_at, abs=0.001)


def test_a_naive_date_is_read_as_local_time() -> None:
    naive = datetime(2023, 12, 24, 20, 0)
    entry = get_entry(add_entry("Christmas Eve.", date=naive))
    assert entry is not None
    assert entry.date == naive.astimezone()


def test_an_entry_saved_before_entries_had_dates_is_about_its_save_time() -> None:
    uid = add_entry("An old entry.")
    select_graph(DEFAULT_JOURNAL).query(
        "MATCH (e:Episode {uuid: $u}) REMOVE e.date, e.date_ts", {"u": uid}
    )
    newer = add_entry("About last year.", date=datetime(2025, 1, 1, tzinfo=UTC))
    entry = get_entry(uid)
    assert entry is not None
    assert entry.date.timestamp() == pytest.approx(entry.created_at, abs=0.001)
    assert [e.uuid for e in list_entries()] == [uid, newer]  # ordered by its save time


def test_the_list_is_ordered_by_entry_date_not_save_time() -> None:
    old = add_entry("Imported from 2019.", date=datetime(2019, 5, 1, tzinfo=UTC))
    new = add_entry("Today.")
    mid = add_entry("Last summer.", date=datetime(2024, 7, 1, tzinfo=UTC))
    assert [e.uuid for e in list_entries()] == [new, mid, old]
    assert [e.uuid for e in search_entries("from")] == [old]


def test_the_editor_can_move_an_entry_to_another_date() -> None:
    uid = add_entry("Wrong day.", date=MARCH)
    update_entry(uid, "Right day.", date=MARCH - timedelta(days=3))
    entry = get_entry(uid)
    assert entry is not None
    assert (entry.content, entry.date) == ("Right day.", MARCH - timedelta(days=3))
    update_entry(uid, "Same day, new words.")  # no date given: the date stays
    assert get_entry(uid).date == MARCH - timedelta(days=3)  # type: ignore[union-attr]


def test_cursor_pages_walk_the_whole_journal_once() -> None:
    days = [MARCH + timedelta(days=i) for i in range(7)]
    uids = add_entries([NewEntry(f"day {i}", day) for i, day in enumerate(days)])
    same_moment = add_entries([NewEntry("twin a", MARCH), NewEntry("twin b", MARCH)])
    seen, cursor, pages = [], None, 0
    while True:
        page = list_page(limit=3, after=cursor)
        seen += [row.entry.uuid for row in page.rows]
        pages += 1
        if page.next is None:
            break
        cursor = page.next
    assert len(seen) == len(set(seen)) == 9
    assert seen[:6] == uids[::-1][:6]
    assert set(seen[6:]) == {uids[0], *same_moment}  # ties broken by uuid, none lost
    assert pages == 3


def test_offset_paging_and_a_new_entry_does_not_shift_a_cursor() -> None:
    add_entries([NewEntry(f"day {i}", MARCH + timedelta(days=i)) for i in range(5)])
    assert [e.content for e in list_entries(limit=2, offset=2)] == ["day 2", "day 1"]
    first = list_page(limit=2)
    add_entry("written meanwhile")  # newest: lands before the cursor
    second = list_page(limit=2, after=first.next)
    assert [r.entry.content for r in second.rows] == ["day 2", "day 1"]


def test_a_bulk_save_is_validated_first_and_names_the_bad_entry() -> None:
    with pytest.raises(EntryError, match="Entry 2: The entry is empty"):
        add_entries([NewEntry("fine"), NewEntry("  ")])
    assert list_entries() == []  # nothing of the batch was written


def test_a_bulk_save_marks_each_entry_waiting_and_keeps_its_source() -> None:
    uids = add_entries(
        [NewEntry("one", MARCH, "dayone:AAA"), NewEntry("two", MARCH, None)], "imported"
    )
    assert [get_episode_status(u) for u in uids] == [PENDING, PENDING]
    rows = (
        select_graph("imported")
        .ro_query("MATCH (e:Episode) RETURN e.content, e.source_id ORDER BY e.content")
        .result_set
    )
    assert rows == [["one", "dayone:AAA"], ["two", None]]


def test_already_there_by_source_id_else_by_date_and_text() -> None:
    add_entries([NewEntry("from day one", MARCH, "dayone:AAA"), NewEntry("a file", MARCH)])
    candidates = [
        NewEntry("edited since in Day One", MARCH, "dayone:AAA"),  # same source: there
        NewEntry("from day one", MARCH, "dayone:BBB"),  # another source: new
        NewEntry("a file", MARCH),  # same text, same moment: there
        NewEntry("a file", MARCH + timedelta(minutes=1)),  # another moment: new
        NewEntry("a file", MARCH.astimezone(UTC)),  # the same moment in UTC: there
        NewEntry("new text", MARCH),
        NewEntry("new text", MARCH),  # twice in one import: the second is a duplicate
    ]
    assert already_there(candidates) == [True, False, True, False, True, False, True]


def test_user_entries_are_read_before_the_backlog_which_is_read_newest_first() -> None:
    huey = bind_queue()
    huey.storage.flush_queue()
    days = [MARCH + timedelta(days=i) for i in range(6)]
    first = save_backlog([NewEntry(f"first import {i}", days[i]) for i in (0, 2, 4)])
    second = save_backlog([NewEntry(f"second import {i}", days[i]) for i in (5, 3, 1)])
    recovered = add_entry("left waiting by a killed worker")
    enqueue_reading(recovered, DEFAULT_JOURNAL, BACKLOG)
    user = add_entry("written while importing")
    enqueue_reading(user, DEFAULT_JOURNAL)
    order = []
    while (task := huey.dequeue()) is not None:
        order.append(task.args[0])
    by_date = [second[0], first[2], second[1], first[1], second[2], first[0]]
    assert order == [user, *by_date, recovered]


def test_save_backlog_reports_progress_per_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    from charlie_worker.store import entries, imports

    monkeypatch.setattr(entries, "BULK_CHUNK", 2)
    monkeypatch.setattr(imports, "BULK_CHUNK", 2)
    done: list[int] = []
    uids = save_backlog([NewEntry(f"n{i}", MARCH) for i in range(5)], progress=done.append)
    assert done == [2, 2, 1]
    assert len(set(uids)) == 5 and len(list_entries()) == 5
    assert bind_queue().pending_count() == 5


def test_the_journal_door_dates_pages_and_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    from charlie_worker.store import journal as journal_module

    monkeypatch.setattr(journal_module, "LIST_LIMIT", 2)
    journal = Journal("door")
    journal.open()
    try:
        written = journal.add("Dated by hand.", date=MARCH)
        items = [NewEntry(f"old {i}", MARCH - timedelta(days=i + 1), f"x:{i}") for i in range(3)]
        assert journal.already_there(items) == [False] * 3
        imported = journal.add_backlog(items)
        assert journal.already_there(items) == [True] * 3
        assert [row.entry.uuid for row in journal.all_entries()] == [written, *imported]
        assert [row.entry.uuid for row in journal.entries(limit=2, offset=1)] == imported[:2]
        journal.update(written, "Moved.", date=MARCH + timedelta(days=1))
        assert journal.entry(written).date == MARCH + timedelta(days=1)  # type: ignore[union-attr]
    finally:
        journal.close()


def test_count_is_every_entry_of_the_journal() -> None:
    add_entries([NewEntry(f"n{i}", MARCH) for i in range(3)])
    add_entry("elsewhere", "other")
    journal = Journal()
    journal.open()
    try:
        assert journal.count() == 3
    finally:
        journal.close()

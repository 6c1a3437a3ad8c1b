"""The list follows the journal through the change log: a row whose reading state moved is read
again alone; a new, edited or deleted entry or a correction reloads the list; a change to an
entry not shown reads nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from charlie_tui.app import CharlieApp
from charlie_tui.widgets.entry_table import EntryTable
from charlie_worker.store.episode_state import (
    PENDING,
    mark_episode_processing,
    set_episode_failed,
    set_episode_status,
)
from charlie_worker.store.journal import save_entry

SIZE = (120, 30)


def cell(table: EntryTable, uuid: str, column: int) -> str:
    """A cell's text ("" while the list is being reloaded and the row is not there)."""
    return table.get_row(uuid)[column].plain if uuid in table.rows else ""


def state_of(table: EntryTable, uuid: str) -> str:
    return cell(table, uuid, 1)


def counting(calls: list[Any], read: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        calls.append(args)
        return read(*args)

    return wrapper


async def shown(pilot: Any, tui: Any, app: CharlieApp) -> EntryTable:
    """Wait for the list, the first poll, and the end of every load the start-up began (the
    screen may be loaded twice as it opens: a second load must not count as a refresh);
    returns the list."""
    table = await tui.entry_list(pilot)
    await tui.wait_for(pilot, lambda: len(table.entries) == 5, what="the list")
    await tui.wait_for(pilot, lambda: app._version is not None, what="the first poll")
    await tui.wait_for(
        pilot,
        lambda: all(w.is_finished for w in app.workers if w.group == "load"),
        what="the start-up loads",
    )
    return table


@pytest.fixture
def app() -> CharlieApp:
    return CharlieApp(start_worker=False, poll_interval=0.05)


async def test_a_state_change_reads_only_that_row(
    tui, journal: dict[str, str], app: CharlieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = await shown(pilot, tui, app)
        order = [row.entry.uuid for row in table.entries]
        reloads: list[Any] = []
        rows: list[Any] = []
        monkeypatch.setattr(app.journal, "entries", counting(reloads, app.journal.entries))
        monkeypatch.setattr(app.journal, "rows", counting(rows, app.journal.rows))

        mark_episode_processing(journal["waiting"], "host:1")  # as the worker claims it

        await tui.wait_for(
            pilot, lambda: state_of(table, journal["waiting"]) == "◐ reading", what="reading"
        )
        set_episode_failed(journal["waiting"], "The model's answer was not valid JSON")
        await tui.wait_for(
            pilot, lambda: state_of(table, journal["waiting"]) == "✗ failed", what="failed"
        )
        await pilot.pause(0.3)  # a few more polls
        assert reloads == []
        assert {uuid for (uuids,) in rows for uuid in uuids} == {journal["waiting"]}
        assert table.get_row(journal["waiting"])[3].plain.startswith("The model's answer")
        assert [row.entry.uuid for row in table.entries] == order  # in place


async def test_a_change_to_an_entry_not_shown_reads_nothing(
    tui, journal: dict[str, str], app: CharlieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await shown(pilot, tui, app)
        reads: list[Any] = []
        for name in ("entries", "rows", "search"):
            monkeypatch.setattr(app.journal, name, counting(reads, getattr(app.journal, name)))
        version = app._version

        set_episode_status("another-journals-entry", PENDING, journal="other")

        await tui.wait_for(pilot, lambda: app._version != version, what="the change")
        await pilot.pause(0.3)  # a few more polls
        assert reads == []


async def test_an_entry_saved_elsewhere_reloads_the_list(
    tui, journal: dict[str, str], app: CharlieApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = await shown(pilot, tui, app)

        uuid = save_entry("Written by an import while the app is open.")

        await tui.wait_for(pilot, lambda: uuid in table.uuids, what="the new entry")
        assert app.screen.sub_title == "6 entries"


async def test_entries_saved_elsewhere_join_the_rows_shown_in_place(
    tui, journal: dict[str, str], app: CharlieApp
) -> None:
    """The reload patches the list: the rows shown keep their cells (nothing is built again but
    the new rows) and the cursor its entry."""
    async with app.run_test(size=SIZE) as pilot:
        table = await shown(pilot, tui, app)
        await pilot.press("down", "down")
        under_cursor = table.highlighted
        assert under_cursor is not None
        order = [row.entry.uuid for row in table.entries]
        cells = {uuid: table.get_row(uuid) for uuid in order}

        new = {save_entry("An import's first entry."), save_entry("And its second.")}

        await tui.wait_for(pilot, lambda: new <= table.uuids, what="the new entries")
        await tui.settle(pilot)
        shown_now = [row.entry.uuid for row in table.entries]
        assert set(shown_now[:2]) == new and shown_now[2:] == order  # newest first
        rows = [row.key.value for row in table.ordered_rows]
        assert [key for key in rows if key in table.uuids] == shown_now
        for uuid, before in cells.items():
            assert all(a is b for a, b in zip(before, table.get_row(uuid), strict=True)), uuid
        assert table.highlighted == under_cursor


async def test_a_correction_shows_in_the_list(
    tui, journal: dict[str, str], app: CharlieApp
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = await shown(pilot, tui, app)
        entry = app.journal.entry(journal["bakery"])
        assert entry is not None
        sarah = next(e for e in entry.entities if e.name == "Sarah")

        app.journal.curation.rename(sarah.uuid, "Sarah Connor")  # as another process might

        await tui.wait_for(
            pilot,
            lambda: "Sarah Connor" in cell(table, journal["acme"], 3),
            what="the new name",
        )


async def test_a_slow_poll_is_waited_for_not_cancelled(
    tui, journal: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll slower than the interval (the database busy) must still report: the next tick
    does not start another one that would cancel it."""
    app = CharlieApp(start_worker=False, poll_interval=0.02)
    gate = threading.Event()
    running: list[int] = []
    most = [0]
    poll = app.runtime.poll

    def slow_poll() -> Any:
        running.append(1)
        most[0] = max(most[0], len(running))
        gate.wait(30)
        running.pop()
        return poll()

    ticks: list[int] = []
    tick = app._poll

    def counted_tick() -> None:
        ticks.append(1)
        tick()

    monkeypatch.setattr(app.runtime, "poll", slow_poll)
    monkeypatch.setattr(app, "_poll", counted_tick)
    async with app.run_test(size=SIZE) as pilot:
        await tui.wait_for(pilot, lambda: len(ticks) >= 10, what="ten ticks")
        assert most[0] == 1
        gate.set()
        await tui.wait_for(pilot, lambda: app.status_view.snapshot is not None, what="a report")

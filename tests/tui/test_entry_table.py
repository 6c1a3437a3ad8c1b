"""The entry list takes in entries that came, went or changed in place: the rows of the
others keep their cells (building 240 rows again cost the event loop ~100 ms while a key
press waited; bench/ui_latency.py), the headings and the order are those a list built from
scratch shows, and the cursor stays on its entry, on its line of the screen.

On the real ``EntryTable`` in a headless app, given the store's row dataclasses directly:
what the table does with the rows it is shown (the screens' tests show it a real journal).
Each table patched in place is checked against a second table shown only the final rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from charlie_tui.widgets.entry_table import HEADING_KEY, EntryTable
from charlie_worker import EntryRow
from kit.entry_rows import entry_row

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)
"""A Friday evening: "This week" began on Monday the 10th."""
SIZE = (100, 24)


def row(
    name: str, hours_ago: float, state: str = "waiting", *found: str, content: str = ""
) -> EntryRow:
    """An entry whose uuid is ``name``, dated ``hours_ago`` before ``NOW``; a done one found
    the people named in ``found``."""
    return entry_row(name, NOW - timedelta(hours=hours_ago), state, found, content)


TODAY = row("today", 1)
WEDNESDAY = row("wednesday", 50, "done", "Sarah")
TUESDAY = row("tuesday", 74)
MONDAY = row("monday", 98, "done", "Jonas")
LAST_THURSDAY = row("last-thursday", 200)
MAY = row("may", 24 * 30, "done")


class Lists(App[None]):
    """Two entry lists, one above the other: one patched step by step, one built afresh."""

    CSS = "EntryTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield EntryTable(id="patched")
        yield EntryTable(id="fresh")

    @property
    def patched(self) -> EntryTable:
        return self.query_one("#patched", EntryTable)

    @property
    def fresh(self) -> EntryTable:
        return self.query_one("#fresh", EntryTable)


def keys(table: EntryTable) -> list[str]:
    return [row.key.value or "" for row in table.ordered_rows]


def texts(table: EntryTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def cells(table: EntryTable) -> dict[str, list[Text]]:
    """Each row's cell objects, by row key."""
    return {key: table.get_row(key) for key in keys(table)}


def kept(before: dict[str, list[Text]], table: EntryTable) -> set[str]:
    """The rows still holding the very cell objects they held ``before``."""
    now = cells(table)
    return {
        key
        for key, old in before.items()
        if key in now and all(a is b for a, b in zip(old, now[key], strict=True))
    }


async def show_both_ways(pilot: Pilot[None], rows: Sequence[EntryRow], now: datetime = NOW) -> None:
    """Show ``rows`` on the patched table and on the fresh one (never shown before: it
    builds every row); both show the same."""
    app = pilot.app
    assert isinstance(app, Lists)
    assert not app.fresh.row_count
    app.patched.show(rows, now, grouped=True)
    app.fresh.show(rows, now, grouped=True)
    await pilot.pause()
    assert texts(app.patched) == texts(app.fresh)


async def settled(
    pilot: Pilot[None], rows: Sequence[EntryRow], cursor_on: str
) -> dict[str, list[Text]]:
    """Show ``rows`` on the patched table, laid out, the cursor on ``cursor_on``; its cells."""
    app = pilot.app
    assert isinstance(app, Lists)
    app.patched.show(rows, NOW, focus=cursor_on, grouped=True)
    await pilot.pause()
    return cells(app.patched)


FIRST, SECOND = row("first", 0.5), row("second", 0.7)


@pytest.mark.parametrize(
    ("before", "cursor_on", "after", "expected"),
    [
        pytest.param(
            [TODAY, WEDNESDAY, MONDAY, MAY],
            MONDAY,
            [FIRST, SECOND, TODAY, WEDNESDAY, MONDAY, MAY],
            "Today: first second today / This week: wednesday monday / May 2024: may",
            id="new entries at the top",
        ),
        pytest.param(
            [TODAY, WEDNESDAY, MONDAY, MAY],
            MAY,
            [TODAY, WEDNESDAY, TUESDAY, MONDAY, LAST_THURSDAY, MAY],
            "Today: today / This week: wednesday tuesday monday / Last week: last-thursday"
            " / May 2024: may",
            id="entries and a heading arriving in the middle",
        ),
        pytest.param(
            [TODAY, WEDNESDAY, TUESDAY, MONDAY, LAST_THURSDAY, MAY],
            MAY,
            [TODAY, WEDNESDAY, MONDAY, MAY],
            "Today: today / This week: wednesday monday / May 2024: may",
            id="a deleted entry takes its heading along",
        ),
    ],
)
async def test_entries_that_come_and_go_leave_the_other_rows_as_they_were(
    before: list[EntryRow], cursor_on: EntryRow, after: list[EntryRow], expected: str
) -> None:
    """``expected``: "<heading>: <its entries' keys>", groups apart by " / "."""
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        shown_before = await settled(pilot, before, cursor_on=cursor_on.entry.uuid)

        await show_both_ways(pilot, after)

        groups = [group.split(": ") for group in expected.split(" / ")]
        assert keys(app.patched) == [
            key for heading, entries in groups for key in [HEADING_KEY + heading, *entries.split()]
        ]
        # Nothing built again but the rows that came.
        assert kept(shown_before, app.patched) == set(shown_before) & set(keys(app.patched))
        assert app.patched.highlighted == cursor_on


async def test_when_the_entry_under_the_cursor_goes_the_cursor_goes_to_the_top() -> None:
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot, [TODAY, WEDNESDAY, TUESDAY, MONDAY, MAY], cursor_on="tuesday")

        app.patched.show([TODAY, WEDNESDAY, MONDAY, MAY], NOW, grouped=True)
        await pilot.pause()

        assert app.patched.highlighted == TODAY
        assert app.patched.scroll_y == 0


async def test_a_changed_entry_is_drawn_again_and_the_others_are_not() -> None:
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        before = await settled(pilot, [TODAY, WEDNESDAY, TUESDAY, MAY], cursor_on="today")
        read = row("tuesday", 74, "done", "Amara", "Lisbon")
        rows = [TODAY, WEDNESDAY, read, MAY]

        await show_both_ways(pilot, rows)

        assert app.patched.get_row("tuesday")[1].plain == "● done"
        assert app.patched.get_row("tuesday")[3].plain == "Amara, Lisbon"
        assert kept(before, app.patched) == set(before) - {"tuesday"}
        assert app.patched.highlighted == TODAY


async def test_the_next_day_every_row_reads_from_the_new_day() -> None:
    """An entry's time and heading are relative to today ("Today 17:00" the day before is
    "Yesterday 17:00"): a new day builds every row again, not only the rows that changed."""
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        rows = [TODAY, WEDNESDAY, MONDAY, MAY]
        await settled(pilot, rows, cursor_on="wednesday")
        tomorrow = NOW + timedelta(days=1)

        await show_both_ways(pilot, rows, now=tomorrow)

        assert texts(app.patched)[1][0] == "Yesterday 17:00"
        assert app.patched.highlighted == WEDNESDAY


async def test_entries_arriving_above_keep_the_cursor_on_its_line() -> None:
    """The view moves with the rows added above the cursor's entry, at once: DataTable would
    scroll to the cursor only after drawing a frame where it was, then draw every row again."""
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        older = [row(f"older-{n}", 3 + n) for n in range(30)]
        await settled(pilot, older, cursor_on="older-12")
        await pilot.pause()
        app.patched.scroll_to(y=6, animate=False, immediate=True)
        line_on_screen = app.patched.cursor_row - app.patched.scroll_y
        assert 0 < line_on_screen < app.patched.scrollable_content_region.height
        newer = [row(f"newer-{n}", 1 + n / 10) for n in range(5)]

        app.patched.show([*newer, *older], NOW, grouped=True)

        assert app.patched.highlighted == older[12]
        assert app.patched.cursor_row - app.patched.scroll_y == line_on_screen  # before a frame
        await pilot.pause()
        assert app.patched.cursor_row - app.patched.scroll_y == line_on_screen


async def test_a_resize_builds_the_rows_again_at_the_new_width_then_patches_them() -> None:
    app = Lists()
    async with app.run_test(size=(80, 24)) as pilot:
        long = row("long", 2, content="word " * 40)
        await settled(pilot, [TODAY, long, MAY], cursor_on="long")
        await pilot.pause()
        narrow = app.patched.get_row("long")[2].plain

        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        wide = cells(app.patched)
        assert len(wide["long"][2].plain) > len(narrow)
        assert app.patched.highlighted == long

        rows = [row("new", 0.5), TODAY, long, MAY]
        await show_both_ways(pilot, rows)
        assert kept(wide, app.patched) == set(wide)
        assert app.patched.highlighted == long

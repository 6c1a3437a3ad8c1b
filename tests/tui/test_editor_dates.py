"""The editor's date field: what people type is read by dateparser against the app's clock,
a new entry without one is about now, an edit keeps its date unless the field changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from textual.widgets import Input, Static, TextArea

from charlie_tui.app import CharlieApp
from charlie_tui.dates import DateError, field_text, parse_entry_date
from charlie_tui.screens.editor import EditorScreen
from charlie_tui.screens.entries import EntriesScreen
from charlie_worker.store.queries import get_entry, list_entries

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)  # a Friday evening, as in conftest
SIZE = (120, 30)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2024-03-05", datetime(2024, 3, 5, 18, 0, tzinfo=UTC)),
        ("2024-03-05 09:12", datetime(2024, 3, 5, 9, 12, tzinfo=UTC)),
        ("2024-03-05 00:00", datetime(2024, 3, 5, 0, 0, tzinfo=UTC)),
        ("yesterday", NOW - timedelta(days=1)),
        ("last friday", datetime(2024, 6, 7, 18, 0, tzinfo=UTC)),
        ("3 days ago", NOW - timedelta(days=3)),
        ("yesterday 9am", datetime(2024, 6, 13, 9, 0, tzinfo=UTC)),
        ("2024-03-05T09:12:00+01:00", datetime(2024, 3, 5, 8, 12, tzinfo=UTC)),
    ],
)
def test_typed_dates_are_read_against_the_clock(typed: str, meant: datetime) -> None:
    """A day without a time of day is at the clock's time of day, not at midnight."""
    parsed = parse_entry_date(typed, NOW)
    assert parsed == meant and parsed.tzinfo is not None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("last friday", datetime(2024, 6, 7, 7, 45, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 5, 7, 45, tzinfo=UTC)),
        ("2024-03-05 21:30", datetime(2024, 3, 5, 21, 30, tzinfo=UTC)),
    ],
)
def test_an_edited_entry_moved_to_another_day_keeps_its_time(typed: str, meant: datetime) -> None:
    written = datetime(2024, 6, 12, 9, 45, tzinfo=timezone(timedelta(hours=2)))  # 07:45 UTC
    assert parse_entry_date(typed, NOW, written) == meant


def test_a_blank_field_means_the_default_and_words_are_refused() -> None:
    assert parse_entry_date("  ", NOW) is None
    with pytest.raises(DateError, match="“whenever” is not a date: try 2024-03-05"):
        parse_entry_date("whenever", NOW)


def test_the_field_shows_a_date_in_the_clocks_zone_and_reads_it_back() -> None:
    date = datetime(2024, 3, 5, 9, 12, tzinfo=UTC)
    assert field_text(date, NOW) == "2024-03-05 09:12"
    assert parse_entry_date(field_text(date, NOW), NOW) == date
    day_only = datetime(2024, 3, 5, tzinfo=UTC)  # imported from a source with no time
    assert field_text(day_only, NOW) == "2024-03-05"
    assert parse_entry_date(field_text(day_only, NOW), NOW, day_only) == day_only


def make_app(tui) -> CharlieApp:
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)


async def write(pilot, tui, when: str, text: str) -> None:
    await pilot.press("ctrl+n")
    assert isinstance(pilot.app.screen, EditorScreen)
    pilot.app.screen.query_one("#editor-date", Input).value = when
    pilot.app.screen.query_one(TextArea).text = text
    await pilot.press("ctrl+s")


async def test_a_new_entry_can_be_about_yesterday(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await write(pilot, tui, "yesterday", "Dinner at Femi's.")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
    (entry,) = list_entries()
    assert (entry.content, entry.date) == ("Dinner at Femi's.", NOW - timedelta(days=1))


async def test_a_date_that_is_not_one_keeps_the_editor_open(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await write(pilot, tui, "the day after never", "Kept on screen.")
        error = app.screen.query_one("#editor-message", Static)
        await tui.wait_for(pilot, lambda: error.display, what="the error")
        assert "is not a date" in str(error.render())
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one(TextArea).text == "Kept on screen."
    assert list_entries() == []


async def test_an_edit_keeps_its_date_unless_the_field_changes(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        table = await tui.entry_list(pilot)
        await tui.wait_for(pilot, lambda: table.highlighted, what="the list")
        uid = table.highlighted.entry.uuid  # type: ignore[union-attr]
        before = get_entry(uid).date  # type: ignore[union-attr]
        await pilot.press("e")
        field = app.screen.query_one("#editor-date", Input)
        assert field.value == field_text(before, NOW)
        app.screen.query_one(TextArea).text = "Same day, new words."
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        assert get_entry(uid).date == before  # type: ignore[union-attr]
        await pilot.press("e")
        app.screen.query_one("#editor-date", Input).value = "2024-01-02 08:00"
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        assert get_entry(uid).date == datetime(2024, 1, 2, 8, 0, tzinfo=UTC)  # type: ignore[union-attr]
        await pilot.press("e")  # a day alone: the entry keeps its 08:00
        app.screen.query_one("#editor-date", Input).value = "2024-01-05"
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
    assert get_entry(uid).date == datetime(2024, 1, 5, 8, 0, tzinfo=UTC)  # type: ignore[union-attr]

"""Snapshots of the main screens on a seeded journal, with the clock pinned.

Regenerate after an intended change with ``uv run pytest tests/tui/test_snapshots.py
--snapshot-update`` and review the SVGs under ``__snapshots__``.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, SelectionList, TextArea

from charlie_tui.app import CharlieApp
from charlie_tui.widgets.entry_table import EntryTable
from charlie_tui.widgets.row_table import RowTable

SIZE = (100, 28)


def make_app(tui: types.SimpleNamespace) -> CharlieApp:
    # A long poll interval: the data is static, and no poll may land mid-screenshot.
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)


def ready(
    tui: types.SimpleNamespace, *keys: str, rows: int | None = None
) -> Callable[[Pilot], Awaitable[None]]:
    """Wait for the list and the status bar, press ``keys``, then wait for what they load."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app

        def status_loaded() -> bool:
            return app.status_view.snapshot is not None

        def list_loaded() -> bool:
            return len(app.screen.query_one(EntryTable).entries) == 5

        await tui.wait_for(pilot, status_loaded, what="the status")
        await tui.wait_for(pilot, list_loaded, what="the list")
        await pilot.press(*keys)
        await tui.settle(pilot)
        if rows is not None:
            await tui.wait_for(
                pilot, lambda: app.screen.query_one(RowTable).row_count == rows, what="rows"
            )
        for editor in app.screen.query(TextArea):
            editor.cursor_blink = False
        for field in app.screen.query(Input):  # a focused field's cursor blinks on a timer
            if field.has_focus:
                field.cursor_blink = False
        await tui.settle(pilot)

    return run_before


def test_entry_list(snap_compare, tui, journal) -> None:
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=ready(tui))


def test_entry_list_search(snap_compare, tui, journal) -> None:
    run_before = ready(tui, "slash", *"sarah", "enter", rows=3)
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_entry_detail(snap_compare, tui, journal) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(tui, "down", "down", "enter")(pilot)
        entities = pilot.app.screen.query_one(OptionList)
        await tui.wait_for(pilot, lambda: entities.option_count == 2, what="the entities")

    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_failed_entry_detail(snap_compare, tui, journal) -> None:
    run_before = ready(tui, "down", "down", "down", "enter")
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_editor(snap_compare, tui, journal) -> None:
    run_before = ready(tui, "ctrl+n", *"Walked to the market with Sarah.", "enter", *"Rain later.")
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_delete_confirmation(snap_compare, tui, journal) -> None:
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=ready(tui, "down", "d"))


def test_block_confirmation(snap_compare, tui, journal) -> None:
    """A question longer than its dialog is wide wraps: no word of it is cut off."""
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=ready(tui, "p", "b"))


def test_entity_browser(snap_compare, tui, journal) -> None:
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=ready(tui, "p", rows=4))


def test_entity_page(snap_compare, tui, journal) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(tui, "p", "enter")(pilot)
        quotes = pilot.app.screen.query_one("#entity-quotes", OptionList)
        await tui.wait_for(pilot, lambda: quotes.option_count == 4, what="the quotes")

    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_entity_browser_filtered(snap_compare, tui, journal) -> None:
    run_before = ready(tui, "p", "slash", "l", rows=2)
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_merge_dialog(snap_compare, tui, journal) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(tui, "p", "enter")(pilot)
        await pilot.press("m")
        choices = pilot.app.screen.query_one(SelectionList)
        await tui.wait_for(pilot, lambda: choices.option_count == 3, what="the choices")
        await pilot.press("tab", "down", "space")
        await tui.settle(pilot)

    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)


def test_rename_dialog(snap_compare, tui, journal) -> None:
    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=ready(tui, "p", "n"))


def test_blocked_names(snap_compare, tui, journal) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ready(tui, "p", "down", "b", "y")(pilot)
        await tui.wait_for(pilot, lambda: pilot.app.screen.query_one(RowTable).row_count == 3)
        await pilot.press("B")
        await tui.wait_for(pilot, lambda: pilot.app.screen.query_one(RowTable).row_count == 1)
        pilot.app.clear_notifications()  # the block's toast would time out mid-run on a slow day
        await tui.settle(pilot)

    assert snap_compare(make_app(tui), terminal_size=SIZE, run_before=run_before)

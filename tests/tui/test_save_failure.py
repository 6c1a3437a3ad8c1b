"""Nothing typed is lost. A save the database cannot write (a full disk, its server gone): the
editor stays open with the text as typed and says why. (That nothing is half-written, on a real
full disk: ``robustness/test_full_disk.py``.) And keys that arrive in one burst with the save
key after them (fast typing, a slow link) are all in what is saved, or weighed by cancel."""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.widgets import Static, TextArea

from charlie_tui.app import CharlieApp
from charlie_tui.screens.confirm import ConfirmScreen
from charlie_tui.screens.editor import EditorScreen
from charlie_tui.screens.entries import EntriesScreen
from charlie_worker import Journal, SaveError
from charlie_worker.store.queries import list_entries
from kit.bursts import burst

FULL = "The database cannot write to its disk (is it full?): nothing of the entry was written."
TEXT = "A long thought about Lisbon that I must not lose."


async def test_a_failed_save_keeps_the_text_and_says_why(
    tui, data_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Journal, content: str, date: datetime | None = None) -> str:
        raise SaveError(FULL)

    monkeypatch.setattr(Journal, "add", full_disk)
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, 30, "the journal to open")
        await pilot.press("ctrl+n")
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one(TextArea).text = TEXT
        await pilot.press("ctrl+s")
        await tui.settle(pilot)
        assert app.screen is editor
        assert editor.query_one(TextArea).text == TEXT
        error = editor.query_one("#editor-message", Static)
        assert error.display
        assert str(error.render()) == f"Not saved: {FULL}"
    assert list_entries() == []


async def test_keys_typed_just_before_the_save_key_are_saved(tui, data_dir) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, 30, "the journal to open")
        await pilot.press("ctrl+n")
        burst(app, *TEXT, "ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
    assert [entry.content for entry in list_entries()] == [TEXT]


async def test_keys_typed_just_before_cancel_are_weighed_by_it(tui, data_dir) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, 30, "the journal to open")
        await pilot.press("ctrl+n")
        burst(app, *"Lisbon", "escape")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="ask")

"""A new entry can be written from the first frame on, while the journal is still opening:
the save waits for the journal and nothing typed is lost, even when it never opens.

The journal is held shut (``opening``) so that each step happens while it opens, on the
real app and database.
"""

from __future__ import annotations

import threading
import types

import pytest
from textual.widgets import Static

from charlie_tui import cli
from charlie_tui.app import CharlieApp
from charlie_tui.runtime import Runtime, StartupError
from charlie_tui.screens.editor import WAITING_FOR_JOURNAL, EditorScreen
from charlie_tui.screens.entries import EntriesScreen
from charlie_tui.screens.problem import ProblemScreen
from charlie_worker.store.queries import list_entries


async def test_an_entry_saved_while_the_journal_opens_is_saved_once_it_is(
    tui, journal, opening: threading.Event
) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, EditorScreen)
        assert not app.journal.is_open
        await pilot.press(*"Lunch with Priya.", "ctrl+s")
        message = app.screen.query_one("#editor-message", Static)
        await tui.wait_for(pilot, lambda: message.display, what="the save waiting")
        assert str(message.render()) == WAITING_FOR_JOURNAL
        assert not message.has_class("-error")
        await pilot.press(*" Then tea.")  # typed on while it waits: saved too
        opening.set()
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        table = await tui.entry_list(pilot)
        await tui.wait_for(pilot, lambda: len(table.entries) == 6, what="the entry listed")
    saved = [e.content for e in list_entries() if e.uuid not in journal.values()]
    assert saved == ["Lunch with Priya. Then tea."]


def _failing_open(
    monkeypatch: pytest.MonkeyPatch, opening: threading.Event, error: Exception
) -> None:
    """The journal, once the test lets it open, fails to with ``error``."""

    def open_fails(runtime: Runtime):
        assert opening.wait(30), "the test never let the journal open"
        raise error

    monkeypatch.setattr(Runtime, "open", open_fails)


async def test_an_entry_written_when_the_journal_cannot_open_is_handed_back(
    tui, data_dir, opening: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another app has the journal (a startup error, the app exits at once): the text goes
    back to the command line with the reason."""
    _failing_open(monkeypatch, opening, StartupError("Another Charlie has it open.", 3))
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+n", *"Half a thought")
        opening.set()
        await tui.wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 3
    assert app.startup_error == "Another Charlie has it open."
    assert app.unsaved == "Half a thought"


async def test_a_database_that_fails_to_open_hands_the_entry_back_on_quit(
    tui, data_dir, opening: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails (the problem screen): quitting asks nothing, since the draft is
    printed, and the screen says so."""
    _failing_open(monkeypatch, opening, OSError("No space left on device"))
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+n", *"Half a thought")
        opening.set()
        await tui.wait_for(
            pilot,
            lambda: isinstance(app.screen, ProblemScreen) and bool(app.screen.query(Static)),
            what="the problem explained",
        )
        detail = str(app.screen.query_one("#problem-detail", Static).render())
        assert "The entry you were writing is printed in the terminal when you quit." in detail
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 1
    assert app.unsaved == "Half a thought"


def test_the_command_line_prints_an_entry_that_could_not_be_saved(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Ended(types.SimpleNamespace):
        def run(self) -> None:
            pass

    ended = Ended(
        startup_error="Another Charlie has it open.", unsaved="Half a thought", return_code=3
    )
    monkeypatch.setattr(cli, "CharlieApp", lambda **_: ended)
    assert cli.main([]) == 3
    printed = capsys.readouterr().err
    assert printed.startswith("Another Charlie has it open.\n")
    assert printed.endswith("Here it is:\n\nHalf a thought\n")

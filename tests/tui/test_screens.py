"""Pilot tests of the screens on a real embedded database, without the worker process.

Extraction is simulated (``tui.read_as``: what the worker files once the model has answered)
where a test needs an entry to be read.
"""

from __future__ import annotations

import threading
import time
import types

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Label, OptionList, Static, TextArea

from charlie_tui.app import CharlieApp
from charlie_tui.messages import Polled
from charlie_tui.screens.confirm import ConfirmScreen
from charlie_tui.screens.editor import EditorScreen
from charlie_tui.screens.entities import EntitiesScreen
from charlie_tui.screens.entity import EntityScreen
from charlie_tui.screens.entries import EntriesScreen
from charlie_tui.screens.entry import EntryScreen
from charlie_tui.screens.problem import ProblemScreen
from charlie_tui.widgets.entry_table import EntryTable
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.connection import is_open
from charlie_worker.store.episode_state import PENDING, set_episode_failed, set_episode_status
from charlie_worker.store.queries import get_entry, list_entities, list_entries
from charlie_worker.store.worker_state import publish
from kit.palette import ask_palette
from kit.tables import table_rows

SIZE = (120, 30)


def make_app(tui: types.SimpleNamespace, poll_interval: float = 0.2) -> CharlieApp:
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=poll_interval)


def status_text(app: CharlieApp) -> str:
    labels = app.screen.query("StatusBar Label").results(Label)
    return "  ".join(str(label.render()) for label in labels)


async def open_list(pilot, tui, count: int) -> None:
    await tui.wait_for(pilot, lambda: len(table_rows(pilot.app)) == count, what="the list")


async def test_list_shows_entries_newest_first_with_their_state(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        rows = table_rows(app)
        assert [row[1] for row in rows] == [
            "○ waiting",
            "◐ reading",
            "● done",
            "✗ failed",
            "● done",
        ]
        assert rows[0][0] == "Today 17:30"
        assert rows[3][0] == "Yesterday 15:00"
        assert rows[4][0] == "5 Jun 18:00"
        assert rows[2][2] == "Today I met Sarah at the bakery on Elm Street."
        assert rows[2][3] == "Elm Street, Sarah"
        assert rows[3][3].startswith("The model's answer was not valid")
        assert rows[0][3] == "…"
        assert app.screen.sub_title == "5 entries"
        await tui.wait_for(pilot, lambda: "2 waiting · 1 failed" in status_text(app))
        assert "Worker off" in status_text(app)


async def test_empty_journal_says_how_to_start(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.entry_list(pilot)
        hint = app.screen.query_one("#hint", Static)
        await tui.wait_for(pilot, lambda: hint.display, what="the hint")
        assert "Press ctrl+n" in str(hint.render())


async def test_new_entry_is_saved_and_listed_at_once(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press(*"Lunch with Priya, then [bold]tea[/].")
        await pilot.press("enter", *"Second line.")
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        await open_list(pilot, tui, 1)
        row = table_rows(app)[0]
        assert row[1:3] == ["○ waiting", "Lunch with Priya, then [bold]tea[/]."]
        table = app.screen.query_one(EntryTable)
        assert table.highlighted is not None and table.cursor_row == 1  # below its heading
    saved = list_entries()
    assert [e.content for e in saved] == ["Lunch with Priya, then [bold]tea[/].\nSecond line."]
    assert saved[0].state == "waiting"


async def test_an_entry_read_between_two_polls_is_shown_done(tui, data_dir) -> None:
    """The worker can read a saved entry before any poll sees it queued: the queue then looks
    unchanged to every poll, yet the list must not keep showing it as waiting."""
    app = make_app(tui, poll_interval=3600)  # polls only when the test says so
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+n", *"Lunch with Priya.", "ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        await open_list(pilot, tui, 1)
        assert table_rows(app)[0][1] == "○ waiting"
        (entry,) = list_entries()
        tui.read_as(entry.uuid, ("Priya", "Person"))  # the worker, faster than a poll
        for _ in range(2):
            app._poll()
            await tui.settle(pilot)
        assert table_rows(app)[0][1:4] == ["● done", "Lunch with Priya.", "Priya"]


async def test_an_empty_entry_is_refused_and_the_editor_stays(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+n", "space", "enter", "ctrl+s")
        error = app.screen.query_one("#editor-message", Static)
        await tui.wait_for(pilot, lambda: error.display, what="the error")
        assert str(error.render()) == "The entry is empty."
        assert isinstance(app.screen, EditorScreen)
        await pilot.press(*"Now with words", "ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
    assert [e.content for e in list_entries()] == [" \nNow with words"]


async def test_escape_cancels_and_asks_before_dropping_text(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+n", "escape")
        assert isinstance(app.screen, EntriesScreen)  # nothing typed: no question
        await pilot.press("ctrl+n", *"draft", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one(TextArea).text == "draft"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, EntriesScreen)
    assert list_entries() == []


async def test_open_an_entry_then_one_of_its_entities(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, EntryScreen)
        screen = app.screen
        entities = screen.query_one("#entry-entities", OptionList)
        await tui.wait_for(pilot, lambda: entities.option_count == 2, what="the entities")
        text = str(screen.query_one("#entry-text", Static).render())
        assert text == "Today I met Sarah at the bakery on Elm Street.\nWe talked about her trip."
        meta = str(screen.query_one("#entry-meta", Label).render())
        assert meta == "Friday 14 June 2024, 16:00  ·  ● done"
        assert [str(entities.get_option_at_index(i).prompt) for i in range(2)] == [
            "Elm Street  place",
            "Sarah  person",
        ]
        await pilot.press("tab", "down", "enter")
        assert isinstance(app.screen, EntityScreen)
        page = app.screen
        await tui.wait_for(pilot, lambda: page.page is not None, what="the page")
        assert [q.quote.text for q in page.page.quotes] == [
            "Today I met Sarah at the bakery on Elm Street.",
            "Sarah started at Acme Corp.",
        ]
        assert app.screen.sub_title == "Sarah (person)"
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, EntriesScreen)


async def test_an_entry_updates_itself_when_it_has_been_read(tui, journal) -> None:
    seen: list[Message] = []
    app = make_app(tui, poll_interval=0.1)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("enter")  # the newest: waiting
        screen = app.screen
        assert isinstance(screen, EntryScreen) and screen.uuid == journal["waiting"]
        note = screen.query_one("#entry-note", Static)
        await tui.wait_for(pilot, lambda: "Waiting to be read" in str(note.render()))
        # The worker finishes it in another thread; no key is pressed until it shows.
        seen.clear()
        done = threading.Thread(target=tui.read_as, args=(journal["waiting"], ("Book", "Thing")))
        done.start()
        done.join()
        entities = screen.query_one("#entry-entities", OptionList)
        await tui.wait_for(pilot, lambda: entities.option_count == 1, what="the entity")
        assert not note.display
        assert not [m for m in seen if isinstance(m, events.Key)]
        assert any(isinstance(m, Polled) for m in seen)  # noticed by the poll, not a key
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: table_rows(app)[0][1] == "● done", what="the list")
        assert table_rows(app)[0][3] == "Book"


async def test_edit_an_entry(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("down", "down", "e")
        editor = app.screen.query_one(TextArea)
        assert isinstance(app.screen, EditorScreen)
        assert editor.text.startswith("Today I met Sarah")
        editor.text = "Met Sarah again."
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="save")
        await tui.wait_for(
            pilot, lambda: table_rows(app)[2][2] == "Met Sarah again.", what="the edit"
        )
        assert table_rows(app)[2][1] == "○ waiting"  # read again
    entry = get_entry(journal["bakery"])
    assert entry is not None and entry.content == "Met Sarah again." and entry.entities == []
    assert "Elm Street" not in {e.name for e in list_entities()}  # its only mention is gone


async def test_delete_asks_first_and_takes_the_mentions_along(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, EntryScreen)
        await tui.settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, EntryScreen)
        await pilot.press("d", "y")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="pop")
        await open_list(pilot, tui, 4)
        assert journal["bakery"] not in {e.uuid for e in list_entries()}
    names = {e.name: e.mentions for e in list_entities()}
    assert names == {"Sarah": 1, "Acme Corp": 1, "Lisbon": 1}


async def test_retry_a_failed_entry(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("r")  # the newest is waiting: retry does not apply
        assert table_rows(app)[0][1] == "○ waiting"
        await pilot.press("down", "down", "down", "r")
        await tui.wait_for(pilot, lambda: table_rows(app)[3][1] == "○ waiting", what="retry")
    entry = get_entry(journal["failed"])
    assert entry is not None and entry.state == "waiting" and entry.error is None


async def test_search_by_words_then_clear(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("slash", *"sarah")
        await tui.wait_for(  # the search of "sarah", not of what was typed before it
            pilot,
            lambda: app.screen.sub_title == "3 matches for “sarah”" and len(table_rows(app)) == 3,
            what="the results",
        )
        assert {row[2] for row in table_rows(app)} == {
            "Today I met Sarah at the bakery on Elm Street.",
            "Dinner with Tom and Sarah at Luigi's.",
            "Sarah started at Acme Corp. Celebrated in Lisbon.",
        }
        assert app.screen.sub_title == "3 matches for “sarah”"
        await pilot.press(*" lis")  # the last word matches as a prefix
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 1, what="narrower results")
        await pilot.press(*" zzz")
        hint = app.screen.query_one("#hint", Static)
        wanted = "No entry matches “sarah lis zzz”."
        # Not only shown: a search of "sarah lis z", run while the rest was typed, shows it too.
        await tui.wait_for(
            pilot, lambda: hint.display and str(hint.render()) == wanted, what="no results"
        )
        assert str(hint.render()) == wanted
        await pilot.press("escape")
        await open_list(pilot, tui, 5)
        assert app.screen.focused is app.screen.query_one(EntryTable)


async def test_entity_browser_counts_mentions(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("p")
        assert isinstance(app.screen, EntitiesScreen)
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 4, what="the entities")
        assert table_rows(app) == [
            ["Sarah", "person", "2"],
            ["Elm Street", "place", "1"],
            ["Lisbon", "place", "1"],
            ["Acme Corp", "organisation", "1"],
        ]
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, EntityScreen)
        page = app.screen
        await tui.wait_for(pilot, lambda: page.page is not None, what="Lisbon's page")
        assert page.page.entries == 1


async def test_status_bar_shows_a_model_error(tui, journal) -> None:
    publish(state="running", pid=4242, model="", error="")
    app = make_app(tui, poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        publish(
            heartbeat=time.time(),
            error="Cannot load the model /models/missing.gguf: the file does not exist",
        )
        await tui.wait_for(pilot, lambda: "Model error" in status_text(app), what="the error")
        assert "Worker running" in status_text(app)
        assert "missing.gguf: the file does not exist" in status_text(app)


async def test_command_palette_lists_the_app_commands(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await ask_palette(pilot, tui.wait_for, "new entry", lambda f: f.startswith("New entry"))
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="editor")


async def test_quit_closes_the_database(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 5)
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 0
    assert not is_open()


async def test_a_database_that_cannot_open_is_explained(tui, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(blocker))
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        # The screen is pushed before its widgets are mounted: wait for what it explains.
        await tui.wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ProblemScreen) and bool(app.screen.query("#problem-detail"))
            ),
            what="the problem explained",
        )
        detail = str(app.screen.query_one("#problem-detail", Static).render())
        assert str(blocker) in detail
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 1


async def test_quitting_asks_before_dropping_a_draft(tui, data_dir) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+n", *"half a thought", "ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")  # asking once is enough
        await pilot.press("n")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+q", "y")
        await tui.wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.return_code == 0
    assert list_entries() == []


@pytest.mark.parametrize("key", ["e", "d", "r"])
async def test_entry_keys_do_nothing_on_an_empty_list(tui, data_dir, key: str) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press(key)
        assert isinstance(app.screen, EntriesScreen)


async def test_a_partly_read_entry_says_which_part_and_can_be_retried(tui, journal) -> None:
    """What a long entry whose reading failed in one part looks like: what the other parts
    named is filed, the note names the characters that could not be read, ``r`` retries."""
    entry = tui.seed(
        "Sarah called from Lisbon.", tui.ago(hours=0.2), entities=[("Sarah", "Person")]
    )
    set_episode_status(entry, PENDING, journal=DEFAULT_JOURNAL)
    reason = (
        "characters 1,201 to 2,400 of 9,000 could not be read (the rest is read and filed): "
        "the model's answer was unusable: not JSON (after 3 attempts)"
    )
    set_episode_failed(entry, reason)
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(pilot, tui, 6)
        state, found = table_rows(app)[0][1], table_rows(app)[0][3]
        assert state == "✗ failed" and found.startswith("characters 1,201 to 2,400")
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, EntryScreen) and screen.uuid == entry
        note = screen.query_one("#entry-note", Static)
        await tui.wait_for(pilot, lambda: "Partly read" in str(note.render()))
        assert str(note.render()) == f"Partly read: {reason}\nPress r to read that part again."
        title = screen.query_one("#entry-found-title", Label)
        assert title.display and str(title.render()) == "Found in the parts that were read"
        assert screen.query_one("#entry-entities", OptionList).option_count == 1
        await pilot.press("r")
        await tui.wait_for(pilot, lambda: get_entry(entry).state == "waiting", what="retry")

"""Pilot tests of the entity page, the entity browser's filter and paging, the blocked names,
and every correction made from the keyboard, with its undo, on a real embedded database."""

from __future__ import annotations

import types

from textual.widgets import Input, Label, OptionList, SelectionList, Static

from charlie_tui.app import CharlieApp
from charlie_tui.screens.blocked import BlockedScreen
from charlie_tui.screens.confirm import ConfirmScreen
from charlie_tui.screens.correction_dialogs import MergeScreen, NameScreen, TypeScreen
from charlie_tui.screens.entities import EntitiesScreen
from charlie_tui.screens.entity import EntityScreen
from charlie_tui.screens.entry import EntryScreen
from charlie_tui.widgets.row_table import RowTable
from charlie_worker import BROWSER_PAGE
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.corrections import blocked_names
from charlie_worker.store.entities import known_entities
from charlie_worker.store.queries import get_entry
from kit.bursts import burst
from kit.palette import ask_palette
from kit.tables import table_rows

SIZE = (120, 30)


def make_app(tui: types.SimpleNamespace) -> CharlieApp:
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)


def options(app: CharlieApp, selector: str) -> list[str]:
    found = app.screen.query_one(selector, OptionList)
    return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]


def entities() -> dict[str, tuple[str, tuple[str, ...]]]:
    """What the graph holds now: name -> (type, aliases)."""
    return {k.name: (k.type, k.aliases) for k in known_entities(DEFAULT_JOURNAL)}


def notified(app: CharlieApp) -> list[str]:
    return [n.message for n in app._notifications]


async def browser(pilot, tui, count: int = 4) -> None:
    await tui.wait_for(pilot, lambda: pilot.app.screen.query(RowTable), what="the list")
    await tui.wait_for(pilot, lambda: len(table_rows(pilot.app)) == 5, what="the entries")
    await pilot.press("p")
    assert isinstance(pilot.app.screen, EntitiesScreen)
    await tui.wait_for(pilot, lambda: len(table_rows(pilot.app)) == count, what="the entities")


async def sarahs_page(pilot, tui) -> EntityScreen:
    await browser(pilot, tui)
    await pilot.press("enter")
    screen = pilot.app.screen
    assert isinstance(screen, EntityScreen)
    await tui.wait_for(pilot, lambda: screen.page is not None, what="the page")
    await tui.settle(pilot)
    return screen


async def test_the_page_quotes_each_mention_by_day_newest_first(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sarahs_page(pilot, tui)
        assert screen.sub_title == "Sarah (person)"
        meta = str(screen.query_one("#entity-meta", Label).render())
        assert meta == "2 entries  ·  first 5 Jun 18:00, last Today 16:00"
        assert options(app, "#entity-quotes") == [
            "Today",
            "Today I met Sarah at the bakery on Elm Street.",
            "Wednesday 5 June 2024",
            "Sarah started at Acme Corp.",
        ]
        quotes = screen.query_one("#entity-quotes", OptionList)
        quote = quotes.get_option_at_index(1).prompt
        assert [quote.plain[s.start : s.end] for s in quote.spans] == ["Sarah"]
        assert options(app, "#entity-related") == [
            "Acme Corp  organisation · 1",
            "Elm Street  place · 1",
            "Lisbon  place · 1",
        ]
        await pilot.press("down", "enter")  # the older quote opens its entry
        assert isinstance(app.screen, EntryScreen)
        assert app.screen.uuid == journal["acme"]
        await pilot.press("escape")
        await pilot.press("tab", "down", "enter")  # Elm Street, from "appears with"
        assert isinstance(app.screen, EntityScreen)
        assert app.screen.entity.name == "Elm Street"


async def test_rename_from_the_page_then_undo(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sarahs_page(pilot, tui)
        await pilot.press("n")
        assert isinstance(app.screen, NameScreen)
        await pilot.press(*"Sarah Jones", "enter")
        await tui.wait_for(pilot, lambda: screen.entity.name == "Sarah Jones", what="the rename")
        assert entities()["Sarah Jones"] == ("Person", ("Sarah",))
        assert "Renamed “Sarah” to “Sarah Jones”. Press u to undo." in notified(app)
        meta = str(screen.query_one("#entity-meta", Label).render())
        assert meta.endswith("also “Sarah”")
        await pilot.press("u")
        await tui.wait_for(pilot, lambda: screen.entity.name == "Sarah", what="the undo")
        assert entities()["Sarah"] == ("Person", ())


async def test_retype_from_the_browser(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await browser(pilot, tui)
        await pilot.press("down", "down", "t")  # Lisbon
        assert isinstance(app.screen, TypeScreen)
        await pilot.press("up", "enter")  # place -> person
        await tui.wait_for(pilot, lambda: ["Lisbon", "person", "1"] in table_rows(app), what="type")
        assert entities()["Lisbon"][0] == "Person"


async def test_merge_several_into_one_from_the_page(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sarahs_page(pilot, tui)
        await pilot.press("m")
        assert isinstance(app.screen, MergeScreen)
        choices = app.screen.query_one(SelectionList)
        await tui.wait_for(pilot, lambda: choices.option_count == 3, what="the choices")
        await pilot.press(*"l")  # filters as you type
        await tui.wait_for(pilot, lambda: choices.option_count == 2, what="the filter")
        await pilot.press("tab", "space", "down", "space", "enter")  # Elm Street and Lisbon
        await tui.wait_for(pilot, lambda: "Lisbon" not in entities(), what="the merge")
        assert set(entities()) == {"Sarah", "Acme Corp"}
        assert set(entities()["Sarah"][1]) == {"Elm Street", "Lisbon"}
        await tui.wait_for(pilot, lambda: screen.page.aliases != (), what="the page")
        await pilot.press("u")
        await tui.wait_for(pilot, lambda: "Lisbon" in entities(), what="the undo")
        assert set(entities()) == {"Sarah", "Acme Corp", "Elm Street", "Lisbon"}


async def test_merge_keys_read_at_once_merge_the_marked_choice(tui, journal) -> None:
    """Down, space and enter in one read of the terminal: enter merges what space marked, not
    the choice highlighted before the keys ahead of it were handled."""
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await sarahs_page(pilot, tui)
        await pilot.press("m")
        dialog = app.screen
        assert isinstance(dialog, MergeScreen)
        assert str(dialog.query_one("#merge-help", Label).render()) == (
            "space marks · ⏎ merges · esc cancels"
        )
        choices = dialog.query_one(SelectionList)
        await tui.wait_for(pilot, lambda: choices.option_count == 3, what="the choices")
        await pilot.press("tab")
        first, second = (str(choices.get_option_at_index(i).prompt).split("  ")[0] for i in (0, 1))
        burst(app, "down", "space", "enter")
        await tui.wait_for(pilot, lambda: second not in entities(), what="the merge")
        assert second in entities()["Sarah"][1]
        assert first in entities()


async def test_remove_from_one_entry_on_the_page_and_on_the_entry(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        screen = await sarahs_page(pilot, tui)
        await pilot.press("x")  # the highlighted quote's entry: today's
        await tui.wait_for(pilot, lambda: screen.page.entries == 1, what="the removal")
        assert "Sarah" not in {e.name for e in get_entry(journal["bakery"]).entities}
        await pilot.press("u")
        await tui.wait_for(pilot, lambda: screen.page.entries == 2, what="the undo")
        await pilot.press("enter")
        entry = app.screen
        assert isinstance(entry, EntryScreen)
        found = entry.query_one("#entry-entities", OptionList)
        await tui.wait_for(pilot, lambda: found.option_count == 2, what="the entities")
        found.focus()
        await pilot.press("x")  # Elm Street, the first found
        await tui.wait_for(pilot, lambda: found.option_count == 1, what="the removal")
        assert "Elm Street" not in entities()


async def test_delete_everywhere_asks_first(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await sarahs_page(pilot, tui)
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntitiesScreen), what="back")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 3, what="the list")
        assert "Sarah" not in entities()
        await pilot.press("u")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 4, what="the undo")


async def test_block_then_unblock_from_the_blocked_names(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await browser(pilot, tui)
        await pilot.press("down", "b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 3, what="the block")
        assert [b.name for b in blocked_names(DEFAULT_JOURNAL)] == ["Elm Street"]
        await pilot.press("B")
        assert isinstance(app.screen, BlockedScreen)
        await tui.wait_for(pilot, lambda: table_rows(app) == [["Elm Street"]], what="blocked")
        await pilot.press("x")
        await tui.wait_for(pilot, lambda: table_rows(app) == [], what="the unblock")
        assert blocked_names(DEFAULT_JOURNAL) == []
        await pilot.press("a", *"Texted Mom", "enter")
        await tui.wait_for(pilot, lambda: table_rows(app) == [["Texted Mom"]], what="a new block")


async def test_the_browser_filters_as_you_type_and_pages_through_all(tui, data_dir) -> None:
    names = [(f"Person {i:03}", "Person") for i in range(BROWSER_PAGE + 30)]
    tui.seed("A crowded party.", tui.ago(hours=1), entities=names)
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 1, what="the entry")
        await pilot.press("p")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == BROWSER_PAGE, what="a page")
        assert app.screen.sub_title == f"People, places and things ({BROWSER_PAGE + 30})"
        await pilot.press("ctrl+end")
        await tui.wait_for(
            pilot, lambda: len(table_rows(app)) == BROWSER_PAGE + 30, what="the rest"
        )
        await pilot.press("slash", *"son 10")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 10, what="the filter")
        assert table_rows(app)[0] == ["Person 100", "person", "1"]
        assert app.screen.query_one(Input).value == "son 10"
        await pilot.press("escape")
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == BROWSER_PAGE, what="unfiltered")


async def test_the_entry_marks_the_names_found_in_it(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 5, what="the entries")
        await pilot.press("down", "down", "enter")
        text = app.screen.query_one("#entry-text", Static)

        def marks() -> list[str]:
            content = text.render()
            plain = str(content)
            spans = getattr(content, "spans", [])
            return [plain[s.start : s.end] for s in spans]

        await tui.wait_for(pilot, lambda: marks() == ["Sarah", "Elm Street"], what="marks")


async def test_corrections_are_in_the_command_palette(tui, journal) -> None:
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await sarahs_page(pilot, tui)
        await ask_palette(pilot, tui.wait_for, "rename", lambda first: first.startswith("Rename"))
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, NameScreen), what="the dialog")

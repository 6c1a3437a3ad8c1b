"""The user's keys (``[keys]`` in the settings file, ``CHARLIE_KEYS``): pilot tests on a real
database that a key given there runs its command, that the footer, the palette and the hints
say it, and that what would not do what the user meant (an unknown id, a key Textual cannot
name, a key two commands would have) is named; the README's table of ids is the bindings'
own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from textual.widgets import Static

from charlie_tui.app import CharlieApp
from charlie_tui.keys import binding_ids, bound_classes, keymap_problems, valid_key
from charlie_tui.screens.editor import EditorScreen
from charlie_tui.screens.entities import EntitiesScreen
from charlie_tui.screens.entries import EntriesScreen
from charlie_tui.settings import AppSettings
from charlie_worker import WorkerSettings
from kit.palette import ask_palette

ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 30)


def write_keys(**keys: str) -> None:
    """A settings file with a ``[keys]`` table (ids with dashes, as a user writes them)."""
    lines = ["[keys]", *(f'{name.replace("_", "-")} = "{key}"' for name, key in keys.items())]
    Path(os.environ["CHARLIE_SETTINGS_FILE"]).write_text("\n".join(lines) + "\n")


def make_app(tui: types.SimpleNamespace) -> CharlieApp:
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)


def warnings(app: CharlieApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "warning"]


async def opened(pilot, tui, app: CharlieApp) -> None:
    await tui.wait_for(pilot, lambda: app.status_view.database == "open", what="the journal")
    await tui.settle(pilot)


async def test_a_key_from_the_settings_file_runs_its_command_and_is_shown(tui, data_dir) -> None:
    write_keys(new_entry="ctrl+e")
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        hint = app.screen.query_one("#hint", Static)
        await tui.wait_for(pilot, lambda: hint.display, what="the hint")
        assert "Press ctrl+e to write your first one." in str(hint.render())
        assert "ctrl+e" in app.screen.active_bindings
        assert "ctrl+n" not in app.screen.active_bindings
        await pilot.press("ctrl+n")
        await tui.settle(pilot)
        assert isinstance(app.screen, EntriesScreen)  # the old key is free
        await pilot.press("ctrl+e")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="editor")
        assert warnings(app) == []


async def test_the_palette_gives_the_users_key(tui, data_dir) -> None:
    write_keys(entities="ctrl+o")
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        await ask_palette(
            pilot,
            tui.wait_for,
            "people, places",
            lambda first: (
                first == "People, places and things\n"
                "What Charlie found, with mention counts (ctrl+o)"
            ),
        )


async def test_keys_from_the_environment_as_json(tui, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("CHARLIE_KEYS", json.dumps({"entities": "ctrl+o"}))
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        await pilot.press("ctrl+o")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntitiesScreen), what="list")


async def test_what_would_do_nothing_is_named(tui, data_dir) -> None:
    write_keys(new_entri="ctrl+e", entities="ctrl+qq", save="s")
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        [warning] = warnings(app)
        assert '"new-entri" is not the id of a key (did you mean "new-entry"?)' in warning
        assert '"ctrl+qq" (for entities) is not the name of a key' in warning
        assert 's for Save types "s" in the text there' in warning
        await pilot.press("ctrl+n")  # the default key of the mistyped id still works
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="editor")


async def test_a_key_given_to_two_commands_is_named(tui, data_dir) -> None:
    write_keys(new_entry="p")
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        await pilot.press("p")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="editor")
        [warning] = warnings(app)
        assert "p would be both New entry and People & places" in warning


def test_key_names() -> None:
    for key in ["ctrl+e", "slash", "/", "question_mark", "f5", "escape", "ctrl+shift+x", "space"]:
        assert valid_key(key), key
    for key in ["", "ctrl+qq", "hyperspace", "foo+x", "ctrl+"]:
        assert not valid_key(key), key


def test_every_binding_the_app_offers_has_an_id() -> None:
    """A binding without an id cannot be given another key: every one of the app's has one,
    and each can be given a key of its own without a problem named."""
    bound = bound_classes()
    assert {node.__name__ for node, _ in bound} >= {"CharlieApp", "EntriesScreen", "RowTable"}
    for node, bindings in bound:
        for binding in bindings:
            assert binding.id and binding.description, (node, binding)
    ids = binding_ids(bound)
    free = [f"{modifier}+f{n}" for modifier in ("alt", "ctrl") for n in range(1, 25)]
    assert keymap_problems(dict(zip(ids, free, strict=False))) == []
    assert {"new-entry", "quit", "back", "edit", "merge", "confirm-merge"} <= set(ids)


def test_help_lists_every_id() -> None:
    """An installed app has no README: ``charlie-tui --help`` names the ids."""
    out = subprocess.run(
        [sys.executable, "-m", "charlie_tui.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    listed = out.split("key ids for CHARLIE_KEYS and [keys]:", 1)[1].split("\n\n", 1)[0]
    assert [i.strip() for i in listed.replace("\n", " ").split(",")] == list(binding_ids())


def test_the_readme_lists_every_id() -> None:
    text = (ROOT / "packages/charlie-tui/README.md").read_text()
    table = text.split("<!-- key-ids -->", 1)[1].split("<!-- /key-ids -->", 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \| (.*?) \| (.*?) \|$", table, flags=re.M)
    expected = [
        (i, b.description, " / ".join(f"`{k.strip()}`" for k in b.key.split(",")))
        for i, b in binding_ids().items()
    ]
    assert rows == expected


def test_the_worker_reads_past_the_keys_table() -> None:
    write_keys(new_entry="ctrl+e")
    assert AppSettings().keys == {"new-entry": "ctrl+e"}
    assert WorkerSettings().max_entry_chars == AppSettings().max_entry_chars


def test_a_keys_setting_that_is_not_a_table_stops_the_start(tui, data_dir) -> None:
    Path(os.environ["CHARLIE_SETTINGS_FILE"]).write_text('keys = "ctrl+e"\n')
    with pytest.raises(ValueError, match="keys"):
        AppSettings()


async def test_a_key_taken_from_one_of_textuals_own_is_named(tui, journal) -> None:
    """Textual's own bindings have no id (the list's cursor keys): Textual finds that clash,
    and the app names the key the list lost."""
    write_keys(open="up")
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, tui, app)
        await tui.wait_for(pilot, lambda: warnings(app), what="the warning")
        [warning] = warnings(app)
        assert "↑ now runs the command your settings gave it; Cursor up has no ↑" in warning


def test_a_dialogs_keys_meet_only_its_own() -> None:
    """A dialog (a modal screen) stops the keys at itself: the app's q given to "y" does not
    clash with its Yes, but two of a screen's own commands on one key do."""
    assert keymap_problems({"quit": "y"}) == []
    assert keymap_problems({"no": "y"}) == [
        "y would be both No and Yes: only one of them can have it"
    ]
    assert keymap_problems({"edit": "p"}) == [
        "p would be both Edit and People & places: only one of them can have it"
    ]


def test_a_key_the_text_box_takes_is_named() -> None:
    """Where the user types, a command's key must not be one the text box takes: a character
    (Save goes first, so "s" would save instead of typing), or a key of the box's own (the
    editor's ctrl+z is its Undo). Keys with ctrl or alt the box leaves alone are fine, and so
    is a command's own default (Merge's enter is meant to go before the filter's)."""
    assert keymap_problems({"save": "s"}) == [
        's for Save types "s" in the text there: give it a key with ctrl or alt'
    ]
    assert keymap_problems({"save": "shift+s,space"}) == [
        'shift+s for Save types "S" in the text there: give it a key with ctrl or alt',
        "space for Save types a space in the text there: give it a key with ctrl or alt",
    ]
    assert keymap_problems({"cancel": "ctrl+z"}) == [
        "ctrl+z for Cancel is Undo in the text there: give it another key"
    ]
    assert keymap_problems({"cancel": "x"}) == [  # named once, for every dialog that has it
        'x for Cancel types "x" in the text there: give it a key with ctrl or alt'
    ]
    assert keymap_problems({"confirm-merge": "m"}) == [
        'm for Merge types "m" in the text there: give it a key with ctrl or alt'
    ]
    for fine in [{"save": "alt+s"}, {"save": "ctrl+s"}, {"confirm-merge": "enter"}, {"edit": "s"}]:
        assert keymap_problems(fine) == [], fine

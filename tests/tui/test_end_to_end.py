"""The whole app with its real worker and the bundled model: an entry is read by itself."""

from __future__ import annotations

import pytest

from charlie_tui.app import CharlieApp
from charlie_tui.widgets.entry_table import EntryTable

pytestmark = pytest.mark.slow


async def test_a_saved_entry_turns_done_and_shows_who_was_found(tui, data_dir) -> None:
    app = CharlieApp(clock=tui.clock)
    async with app.run_test(size=(120, 30)) as pilot:

        def status() -> str:
            return "  ".join(str(label.render()) for label in app.screen.query("StatusBar Label"))

        def first_row() -> list[str]:
            table = app.screen.query_one(EntryTable)
            if not table.entries:
                return []
            return [cell.plain for cell in table.get_row(table.entries[0].entry.uuid)]

        await tui.wait_for(pilot, lambda: "Worker running" in status(), 60, "the worker")
        await pilot.press("ctrl+n", *"Today I met Sarah at the bakery.", "ctrl+s")
        await tui.wait_for(pilot, lambda: bool(first_row()), 10, "the saved entry")
        assert first_row()[2] == "Today I met Sarah at the bakery."
        # No key is pressed from here on: the list follows the worker by itself.
        await tui.wait_for(pilot, lambda: first_row()[1] == "● done", 300, "the extraction")
        assert "Sarah" in first_row()[3].split(", ")
        await tui.wait_for(pilot, lambda: "Nothing waiting" in status(), 10, "the queue")
        process = app.runtime.process
        assert process is not None
        worker = process.state().pid
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, 60, "the exit")
    assert app.return_code == 0
    assert worker is not None and not tui.workers_of(data_dir)
    assert tui.redis_servers_under(data_dir) == []

"""Import from the command palette: the path is asked for, progress shows while entries are
saved, the summary is notified, and the list shows the imported entries."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input, ProgressBar

from charlie_tui.app import CharlieApp
from charlie_tui.screens.entries import EntriesScreen
from charlie_tui.screens.importing import ImportScreen
from charlie_tui.widgets.entry_table import EntryTable
from charlie_worker.store.queries import list_entries
from kit.sources import dayone_zip, generated_dayone, jrnl_entry, jrnl_json

SIZE = (120, 30)


def make_app(tui) -> CharlieApp:
    return CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)


async def test_import_from_the_palette_shows_progress_and_the_entries(
    tui, data_dir, tmp_path: Path
) -> None:
    source = dayone_zip(tmp_path / "export.zip", generated_dayone(7))
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+p", *"import from day one")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: app.screen.query("#import-path"), what="the dialog")
        assert isinstance(app.screen, ImportScreen)
        dialog = app.screen
        bar = dialog.query_one(ProgressBar)
        dialog.query_one("#import-path", Input).value = str(source)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="import")
        assert bar.percentage == 1.0  # every entry saved
        notes = [n.message for n in app._notifications]
        assert any(m.startswith("Imported 7 · already there 0 · skipped 0") for m in notes)
        table = app.screen.query_one(EntryTable)
        await tui.wait_for(pilot, lambda: len(table.entries) == 7, what="the imported entries")
    assert len(list_entries()) == 7


async def test_a_failed_import_is_notified_with_its_reasons(tui, data_dir, tmp_path: Path) -> None:
    source = jrnl_json(tmp_path / "j.json", [jrnl_entry("2024-13-01", "10:00", "Bad day.", "")])
    app = make_app(tui)
    async with app.run_test(size=SIZE) as pilot:
        await tui.settle(pilot)
        await app.run_action("import('jrnl')")
        await tui.wait_for(pilot, lambda: app.screen.query("#import-path"), what="the dialog")
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one("#import-path", Input).value = str(source)
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntriesScreen), what="import")
        (note,) = [n for n in app._notifications if n.title == "Import"]
        assert note.severity == "warning"
        assert "Skipped j.json entry 1: date '2024-13-01' '10:00' is not a date" in note.message
    assert list_entries() == []

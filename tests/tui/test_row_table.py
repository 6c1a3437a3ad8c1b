"""A row's new cells are drawn without drawing the rest of the table again: DataTable's own
``update_cell`` makes the next frame render every row in view (~25 ms at 120x30 here, while
a key pressed meanwhile waits; bench/ui_latency.py).

On a real Textual table in a headless app; a cell counts each time it is rendered.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from charlie_tui.widgets.row_table import RowTable


class Cell(Text):
    """A cell that counts its renders, by its text."""

    renders: ClassVar[Counter[str]] = Counter()

    def __rich_console__(self, console: Any, options: Any) -> Any:
        Cell.renders[self.plain] += 1
        yield from super().__rich_console__(console, options)


class Table(App[None]):
    def compose(self) -> ComposeResult:
        yield RowTable()


async def table_of(pilot: Pilot[None], *keys: str) -> RowTable:
    """The app's table holding a row per key (its name, then "<key> waiting"), drawn."""
    table = pilot.app.query_one(RowTable)
    table.add_columns("Entry", "State")
    for key in keys:
        table.add_row(Cell(key), Cell(f"{key} waiting"), key=key)
    await pilot.pause()
    return table


def shown(app: Table) -> list[str]:
    """Each line of the table as it is drawn now."""
    table = app.query_one(RowTable)
    return [strip.text for strip in table.render_lines(table.region.reset_offset)]


async def test_updating_a_row_draws_that_row_alone() -> None:
    app = Table()
    async with app.run_test(size=(40, 6)) as pilot:
        table = await table_of(pilot, "monday", "tuesday", "wednesday")
        assert Cell.renders["wednesday waiting"] > 0  # drawn once shown
        Cell.renders.clear()

        table.update_rows({"tuesday": [Cell("tuesday"), Cell("tuesday read")]})
        await pilot.pause()

        assert Cell.renders["tuesday read"] > 0
        others = ("monday", "monday waiting", "wednesday", "wednesday waiting")
        assert [Cell.renders[text] for text in others] == [0, 0, 0, 0]
        assert any("tuesday read" in line for line in shown(app))
        assert [str(cell) for cell in table.get_row("tuesday")] == ["tuesday", "tuesday read"]


async def test_rows_updated_together_are_drawn_and_the_rest_are_not() -> None:
    app = Table()
    async with app.run_test(size=(40, 6)) as pilot:
        table = await table_of(pilot, "monday", "tuesday", "wednesday")
        Cell.renders.clear()

        table.update_rows(
            {
                "monday": [Cell("monday"), Cell("monday read")],
                "wednesday": [Cell("wednesday"), Cell("wednesday reading")],
            }
        )
        await pilot.pause()

        assert Cell.renders["monday read"] > 0 and Cell.renders["wednesday reading"] > 0
        assert [Cell.renders[text] for text in ("tuesday", "tuesday waiting")] == [0, 0]
        lines = shown(app)
        assert any("monday read" in line for line in lines)
        assert any("wednesday reading" in line for line in lines)


async def test_an_updated_row_keeps_its_new_cells_as_the_cursor_moves() -> None:
    """The renders dropped are the row's own: moving onto it and off it again draws the new
    cells, never a stale render of the old ones."""
    app = Table()
    async with app.run_test(size=(40, 6)) as pilot:
        table = await table_of(pilot, "monday", "tuesday")
        table.update_rows({"tuesday": [Cell("tuesday"), Cell("tuesday failed")]})
        await pilot.press("down", "up")
        await pilot.pause()

        lines = shown(app)
        assert any("tuesday failed" in line for line in lines)
        assert not any("tuesday waiting" in line for line in lines)


async def test_a_row_drawn_at_the_same_update_count_shows_its_new_cells() -> None:
    """DataTable keys each cell's render by its row, column and the table's update count, which
    ``update_rows`` leaves as it is: a render of the row's old cells made at that count must be
    dropped, or it is drawn again. A frame drawn once the table settled (as in an app that has
    been running a while) holds such renders; its first frame does not (drawn before the table
    grows to fit its rows, a resize that bumps the count)."""
    app = Table()
    async with app.run_test(size=(40, 6)) as pilot:
        table = await table_of(pilot, "monday", "tuesday")
        table.refresh()
        await pilot.pause()

        table.update_rows({"tuesday": [Cell("tuesday"), Cell("tuesday read")]})
        await pilot.pause()

        lines = shown(app)
        assert any("tuesday read" in line for line in lines)
        assert not any("tuesday waiting" in line for line in lines)

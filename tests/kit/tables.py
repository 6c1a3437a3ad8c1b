"""Reading the app's tables in pilot tests: the rows a person sees as rows, not the headings
(Today, This week, March 2024) the entry list groups them under."""

from __future__ import annotations

from textual.app import App

from charlie_tui.widgets.entry_table import HEADING_KEY
from charlie_tui.widgets.row_table import RowTable


def table_rows(app: App) -> list[list[str]]:
    """The plain text of every row of the table on the current screen, headings left out."""
    table = app.screen.query_one(RowTable)
    keys = [row.key.value or "" for row in table.ordered_rows]
    return [
        [cell.plain for cell in table.get_row_at(i)]
        for i, key in enumerate(keys)
        if not key.startswith(HEADING_KEY)
    ]

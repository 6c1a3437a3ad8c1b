"""A table of entries: when, state, first line, and what was found (or why it failed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text

from charlie_worker import EntryRow

from ..formatting import STATE_LABELS, first_line, when
from .row_table import RowTable

WHEN_WIDTH = 15
STATE_WIDTH = 10
MIN_TEXT_WIDTH = 16
SCROLLBAR_WIDTH = 2


class EntryTable(RowTable):
    """Rows keyed by entry uuid. Re-showing rows keeps the cursor on the same entry.

    Cells are ``Text``, never markup strings: an entry containing ``[bold]`` is shown as typed.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-table--when",
        "entry-table--waiting",
        "entry-table--reading",
        "entry-table--done",
        "entry-table--failed",
        "entry-table--error",
        "entry-table--pending",
        "entry-table--Person",
        "entry-table--Place",
        "entry-table--Organization",
        "entry-table--Thing",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[EntryRow] = []
        self._now: datetime | None = None
        self._layout_width = 0

    @property
    def highlighted(self) -> EntryRow | None:
        """The entry under the cursor, if any."""
        if not self._rows or not self.is_valid_row_index(self.cursor_row):
            return None
        return self._rows[self.cursor_row]

    def show(self, rows: Sequence[EntryRow], now: datetime, focus: str | None = None) -> None:
        """Replace the rows; the cursor goes to ``focus``, else stays on the same entry."""
        current = self.highlighted
        keep = focus or (current.entry.uuid if current else None)
        self._rows = list(rows)
        self._now = now
        if not self.size.width:
            # Not laid out yet: rows cut to a zero width would show truncated until the first
            # resize. ``on_resize`` renders them once the table has its width.
            return
        self._render_rows()
        uuids = [row.entry.uuid for row in self._rows]
        if keep in uuids:
            self.move_cursor(row=uuids.index(keep), scroll=True)

    def on_resize(self) -> None:
        if self.size.width != self._layout_width and self._now is not None:
            cursor = self.cursor_row
            self._render_rows()
            self.move_cursor(row=cursor)

    def _render_rows(self) -> None:
        self._layout_width = self.size.width
        text_width, found_width = self._widths()
        self.clear(columns=True)
        self.add_column("When", width=WHEN_WIDTH, key="when")
        self.add_column("State", width=STATE_WIDTH, key="state")
        self.add_column("Entry", width=text_width, key="entry")
        self.add_column("Found", width=found_width, key="found")
        for row in self._rows:
            self.add_row(*self._cells(row, text_width, found_width), key=row.entry.uuid)

    def _widths(self) -> tuple[int, int]:
        """Split what the fixed columns leave between the entry and what was found."""
        padding = 2 * self.cell_padding * 4
        scrollbar = 2
        free = max(
            2 * MIN_TEXT_WIDTH, self.size.width - WHEN_WIDTH - STATE_WIDTH - padding - scrollbar
        )
        text_width = max(MIN_TEXT_WIDTH, free * 3 // 5)
        return text_width, max(MIN_TEXT_WIDTH, free - text_width)

    def _cells(self, row: EntryRow, text_width: int, found_width: int) -> list[Text]:
        entry = row.entry
        assert self._now is not None
        title = Text(first_line(entry.content), no_wrap=True, overflow="ellipsis")
        title.truncate(text_width, overflow="ellipsis")
        found = self._found(row)
        found.truncate(found_width, overflow="ellipsis")
        return [
            Text(when(entry.date, self._now), style=self._style("when")),
            Text(STATE_LABELS[entry.state], style=self._style(entry.state)),
            title,
            found,
        ]

    def _found(self, row: EntryRow) -> Text:
        entry = row.entry
        if entry.state == "failed":
            return Text(entry.error or "", style=self._style("error"), no_wrap=True)
        if entry.state != "done":
            return Text("…", style=self._style("pending"))
        if not row.entities:
            return Text("nothing found", style=self._style("pending"))
        found = Text(no_wrap=True, overflow="ellipsis")
        for index, entity in enumerate(row.entities):
            if index:
                found.append(", ")
            found.append(entity.name, style=self._style(entity.type))
        return found

    def _style(self, part: str) -> Style:
        """The tcss style of a part (an unknown entity type gets none)."""
        name = f"entry-table--{part}"
        if name not in self.COMPONENT_CLASSES:
            return Style()
        return self.get_component_rich_style(name, partial=True)

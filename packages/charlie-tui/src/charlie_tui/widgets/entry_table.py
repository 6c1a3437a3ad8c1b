"""A table of entries: when, state, first line, and what was found (or why it failed);
in date order it is grouped under headings (Today, This week, Last week, then months)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate

from ..formatting import STATE_LABELS, first_line, group_label, when
from .row_table import RowTable

if TYPE_CHECKING:
    from charlie_worker import EntryRow

WHEN_WIDTH = 15
STATE_WIDTH = 10
MIN_TEXT_WIDTH = 16
SCROLLBAR_WIDTH = 2
COLUMN_LABELS = (("When", "when"), ("State", "state"), ("Entry", "entry"), ("Found", "found"))
COLUMNS = tuple(key for _, key in COLUMN_LABELS)
HEADING_KEY = "heading:"
"""Row keys of headings start with this (an entry's key is its uuid)."""


class EntryTable(RowTable):
    """Rows keyed by entry uuid. Re-showing rows keeps the cursor on the same entry.

    With ``grouped`` rows, a heading row goes before each group; the cursor never rests on a
    heading (it moves on in the direction it was going) and a heading cannot be opened.
    Cells are ``Text``, never markup strings: an entry containing ``[bold]`` is shown as typed.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-table--heading",
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
        self._lines: list[EntryRow | str] = []
        """What each table row shows: an entry, or a heading's label (a ``str``: ``EntryRow``
        is the store's, imported for type checking only, so the first frame loads no store)."""
        self._grouped = False
        self._now: datetime | None = None
        self._layout_width = 0

    @property
    def entries(self) -> list[EntryRow]:
        """The entries shown, in order (headings left out)."""
        return list(self._rows)

    @property
    def uuids(self) -> set[str]:
        """The uuids of the entries shown."""
        return {row.entry.uuid for row in self._rows}

    @property
    def highlighted(self) -> EntryRow | None:
        """The entry under the cursor, if any."""
        if not self.is_valid_row_index(self.cursor_row) or self.cursor_row >= len(self._lines):
            return None
        line = self._lines[self.cursor_row]
        return None if isinstance(line, str) else line

    def show(
        self,
        rows: Sequence[EntryRow],
        now: datetime,
        focus: str | None = None,
        *,
        grouped: bool = False,
    ) -> None:
        """Replace the rows (under headings if ``grouped``); the cursor goes to ``focus``,
        else stays on the same entry."""
        current = self.highlighted
        keep = focus or (current.entry.uuid if current else None)
        self._rows = list(rows)
        self._grouped = grouped
        self._now = now
        if not self.size.width:
            # Not laid out yet: rows cut to a zero width would show truncated until the first
            # resize. ``on_resize`` renders them once the table has its width.
            return
        self._render_rows()
        rows_of = {
            line.entry.uuid: i for i, line in enumerate(self._lines) if not isinstance(line, str)
        }
        if keep in rows_of:
            self.move_cursor(row=rows_of[keep], scroll=True)
        else:
            self._step_off_heading(0, 1)

    def refresh_rows(self, rows: Sequence[EntryRow]) -> None:
        """Show these entries' new state in place: their cells change, nothing else does (no
        rows are added or moved: the date, and so the order, of an entry is not a state)."""
        fresh = {row.entry.uuid: row for row in rows}
        self._rows = [fresh.get(row.entry.uuid, row) for row in self._rows]
        self._lines = [
            fresh.get(line.entry.uuid, line) if not isinstance(line, str) else line
            for line in self._lines
        ]
        if not self._lines or self._now is None:
            return  # not laid out yet: the first render shows them
        text_width, found_width = self._widths()
        self.update_rows(
            {
                uuid: self._cells(row, text_width, found_width)
                for uuid, row in fresh.items()
                if uuid in self.rows
            }
        )

    def action_select_cursor(self) -> None:
        if self.highlighted is not None:
            super().action_select_cursor()

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        self._step_off_heading(new.row, 1 if new.row >= old.row else -1)

    def _step_off_heading(self, row: int, step: int) -> None:
        """Move the cursor from a heading at ``row`` to the nearest entry, ``step`` first."""
        if not (0 <= row < len(self._lines)) or not isinstance(self._lines[row], str):
            return
        for direction in (step, -step):
            target = row + direction
            while 0 <= target < len(self._lines) and self.is_valid_row_index(target):
                if not isinstance(self._lines[target], str):
                    self.move_cursor(row=target)
                    return
                target += direction

    def on_resize(self) -> None:
        if self.size.width != self._layout_width and self._now is not None:
            cursor = self.cursor_row
            self._render_rows()
            self.move_cursor(row=cursor)
            self._step_off_heading(self.cursor_row, 1)

    def _render_rows(self) -> None:
        self._layout_width = self.size.width
        text_width, found_width = self._widths()
        self._lines = []  # no stepping off headings while the rows are being replaced
        self.clear(columns=True)
        for (label, key), width in zip(
            COLUMN_LABELS, (WHEN_WIDTH, STATE_WIDTH, text_width, found_width), strict=True
        ):
            self.add_column(label, width=width, key=key)
        lines = self._with_headings() if self._grouped else list(self._rows)
        for line in lines:
            if isinstance(line, str):
                heading = Text(line, style=self._style("heading"), no_wrap=True)
                self.add_row(heading, Text(), Text(), Text(), key=HEADING_KEY + line)
            else:
                self.add_row(*self._cells(line, text_width, found_width), key=line.entry.uuid)
        self._lines = lines

    def _with_headings(self) -> list[EntryRow | str]:
        assert self._now is not None
        lines: list[EntryRow | str] = []
        last = None
        for row in self._rows:  # in date order, so each group is one run
            label = group_label(row.entry.date, self._now)
            if label != last:
                lines.append(label)
                last = label
            lines.append(row)
        return lines

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

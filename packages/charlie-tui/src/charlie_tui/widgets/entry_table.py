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
        self._shown_look: tuple[object, ...] = ()
        """The ``_look`` the rows' cells were built for."""

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
        else stays on the same entry (on its line of the screen when the table is patched),
        else goes to the top.

        Only the rows that came, went or changed are built: entries arriving while the
        worker reads a backlog must not cost a rebuild of the whole list (~100 ms of the
        event loop for 240 rows, a key press waiting behind it; bench/ui_latency.py).
        """
        current = self.highlighted
        keep = focus or (current.entry.uuid if current else None)
        line_on_screen = self.cursor_row - self.scroll_y
        self._rows = list(rows)
        self._grouped = grouped
        self._now = now
        if not self.size.width:
            # Not laid out yet: rows cut to a zero width would show truncated until the first
            # resize. ``on_resize`` renders them once the table has its width.
            return
        lines = self._wanted_lines()
        patched = self._patch_rows(lines)
        if not patched:
            self._render_rows(lines)
        rows_of = {_key(line): i for i, line in enumerate(self._lines)}
        if keep not in rows_of:
            self.move_cursor(row=0)
            self._step_off_heading(0, 1)
        elif patched and current is not None and current.entry.uuid == keep:
            # Rows that came or went above the entry move the view along, so the next frame
            # is drawn where the cursor is (DataTable scrolls to it only after that frame, and
            # then draws every row in view a second time).
            self.scroll_to(y=rows_of[keep] - line_on_screen, animate=False, immediate=True)
            self.move_cursor(row=rows_of[keep], scroll=False)
        else:
            self.move_cursor(row=rows_of[keep], scroll=True)

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
        if self._now is not None and self._look() != self._shown_look:
            cursor = self.cursor_row
            self._render_rows(self._wanted_lines())
            self.move_cursor(row=cursor)
            self._step_off_heading(self.cursor_row, 1)

    def _wanted_lines(self) -> list[EntryRow | str]:
        return self._with_headings() if self._grouped else list(self._rows)

    def _look(self) -> tuple[object, ...]:
        """What the cells of every row depend on besides its entry: the width (the columns'),
        the day and timezone (its time, "Today 09:30"), and the styles (the theme)."""
        assert self._now is not None
        styles = tuple(
            self.get_component_rich_style(name, partial=True)
            for name in sorted(self.COMPONENT_CLASSES)
        )
        return self.size.width, self._now.date(), self._now.tzinfo, styles

    def _render_rows(self, lines: list[EntryRow | str]) -> None:
        """Build the table again: columns and every row."""
        self._shown_look = self._look()
        text_width, found_width = self._widths()
        self._lines = []  # no stepping off headings while the rows are being replaced
        self.clear(columns=True)
        for (label, key), width in zip(
            COLUMN_LABELS, (WHEN_WIDTH, STATE_WIDTH, text_width, found_width), strict=True
        ):
            self.add_column(label, width=width, key=key)
        for line in lines:
            self.add_row(*self._line_cells(line, text_width, found_width), key=_key(line))
        self._lines = lines

    def _patch_rows(self, lines: list[EntryRow | str]) -> bool:
        """Bring the table to ``lines`` in place: remove the rows that went, add those that
        came, draw again those whose entry changed; the others keep their cells (DataTable
        measures only the rows added). False, with nothing done, when the table is to be
        built again: its look changed, or most rows went (a new search: DataTable's
        ``remove_row`` renumbers every row, so removing most costs more than a rebuild).
        """
        if self._look() != self._shown_look:
            return False
        shown = {_key(line): line for line in self._lines}
        keys = [_key(line) for line in lines]
        gone = shown.keys() - set(keys)
        if 2 * len(gone) > len(shown):
            return False
        text_width, found_width = self._widths()
        self._lines = []  # no stepping off headings while rows come and go
        for key in gone:
            self.remove_row(key)
        changed: dict[str, list[Text]] = {}
        for key, line in zip(keys, lines, strict=True):
            if key not in shown:
                self.add_row(*self._line_cells(line, text_width, found_width), key=key)
            elif shown[key] != line:
                changed[key] = self._line_cells(line, text_width, found_width)
        if changed:
            self.update_rows(changed)
        if [row.key.value for row in self.ordered_rows] != keys:
            # Rows are added at the bottom; ``sort`` puts them in place. It hands the key
            # function a row's cells, not its key: each row's first cell is an object of its
            # own, so its id names the row.
            order = {id(self.get_cell(key, COLUMNS[0])): i for i, key in enumerate(keys)}
            self.sort(COLUMNS[0], key=lambda cell: order[id(cell)])
        self._lines = lines
        return True

    def _line_cells(self, line: EntryRow | str, text_width: int, found_width: int) -> list[Text]:
        if isinstance(line, str):
            return [Text(line, style=self._style("heading"), no_wrap=True), Text(), Text(), Text()]
        return self._cells(line, text_width, found_width)

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


def _key(line: EntryRow | str) -> str:
    """The row key of a line: an entry's uuid, or a heading's label after ``HEADING_KEY``."""
    return HEADING_KEY + line if isinstance(line, str) else line.entry.uuid

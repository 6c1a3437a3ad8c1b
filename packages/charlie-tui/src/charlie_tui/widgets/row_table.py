"""A row-cursor table whose enter key reads "Open" in the footer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class RowTable(DataTable[Text]):
    """Rows are things to open (entries, entities): enter or a click opens the row."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open", id="open")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    @property
    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def update_rows(self, cells: Mapping[str, Sequence[Text]]) -> None:
        """Show new cells in the rows of these keys; the next frame renders those rows alone.

        Why not ``update_cell``: DataTable counts any cell update as a change of the whole
        table (its update count is part of the key of every cached cell, row and line), so
        the next frame renders every row in view again: ~25 ms at 120x30 on a 2-core
        machine, longer than a frame (1/60 s). A key pressed meanwhile waits for that frame,
        and Textual's frame timer then waits one to two frame periods more before the next
        (bench/ui_latency.py: the slowest key presses while the worker reads a backlog).
        Here the rows' cells change in place and only their renders are dropped from the
        caches, in one pass over each however many rows changed (the line cache is keyed by
        screen line and rebuilt cheaply from the rows'); widths are kept, as ``update_cell``
        does by default.
        """
        row_keys = {RowKey(key) for key in cells}
        for row_key in row_keys:
            for column_key, cell in zip(self.columns, cells[row_key.value], strict=True):
                self._data[row_key][column_key] = cell
        indexes = {self.get_row_index(row_key) for row_key in row_keys}
        _discard(self._cell_render_cache, lambda cached: cached[0] in row_keys)
        _discard(self._row_render_cache, lambda cached: cached[0] in row_keys)
        _discard(self._row_renderable_cache, lambda cached: cached[1] in indexes)
        self._line_cache.clear()
        for index in indexes:
            self.refresh_row(index)


def _discard(cache: LRUCache[Any, Any], match: Callable[[Any], bool]) -> None:
    """Drop the entries of ``cache`` whose key matches (an ``LRUCache`` is not iterable)."""
    for key in [key for key in cache.keys() if match(key)]:  # noqa: SIM118
        cache.discard(key)

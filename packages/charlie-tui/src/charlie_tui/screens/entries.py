"""The home screen: every entry, newest entry date first under date headings, with its state,
loaded page by page as the cursor nears the end; search by words. While the worker reads, only
the rows whose state moved are read again, never the whole list.

The first frame is the header, the status line and the footer: the search box, the list and
its hint come right after it (``show_body``). Before the journal opens the list could only
show that it is loading, and composing and styling it (DataTable and its component classes)
and importing it was ~40 % of what the first frame cost over a bare Textual app's (bench
``ui_start``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from ..background import run_blocking
from ..formatting import Clock, plural
from ..keys import press
from ..messages import (
    DeleteEntry,
    EditEntry,
    EntriesLoaded,
    OpenEntry,
    RetryEntry,
    RowsRefreshed,
)
from ..widgets.footer import Footer
from ..widgets.status_bar import StatusBar
from .base import DataScreen

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from charlie_worker import Changes, EntryRow, Journal

    from ..widgets.entry_table import EntryTable

SEARCH_DELAY_S = 0.25
"""Search once typing pauses, not on every key."""
MORE_MARGIN = 20
"""The next page is loaded when the cursor comes this close to the last entry shown."""


class EntriesScreen(DataScreen):
    """The entry list and the search box above it."""

    TITLE = "Charlie"
    CSS_PATH = None
    """The first screen: styled by the app's charlie.tcss, drawn before the other screens'
    styles are read (``SCREENS_CSS``)."""
    AUTO_FOCUS = "#entries"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="search"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("d", "delete", "Delete", id="delete"),
        Binding("r", "retry", "Retry", id="retry"),
        Binding("escape", "clear_search", "Clear search", show=False, id="clear-search"),
    ]

    def __init__(self, journal: Journal, clock: Clock) -> None:
        super().__init__(journal, clock)
        self._focus: str | None = None
        self._search_timer: Timer | None = None
        self._shown = 0
        """How many entries the plain list reads: a page (``LIST_LIMIT``) once the journal is
        open, one page more each time the cursor nears the end (a reload after a change keeps
        them all)."""
        self._total = 0
        self._keys: tuple[bool, bool] | None = None
        """What the entry keys depend on when the footer last showed them (``_refresh_keys``)."""
        self._table: EntryTable | None = None
        """The list, once shown (``show_body``)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield StatusBar()
        yield Footer()

    def show_body(self) -> None:
        """Mount the search box, the list (loading until the journal's entries come) and
        its hint between the header and the status line, once: when the app's first frame is
        drawn, or sooner if the search key is pressed before."""
        if self._table is not None:
            return
        from ..widgets.entry_table import EntryTable

        table = self._table = EntryTable(id="entries")
        table.loading = True
        self.mount(
            Input(placeholder="Search entries  ( / )", id="search"),
            table,
            Static(id="hint"),
            before=self.query_one(StatusBar),
        )
        # The mouse wheel scrolls without moving the cursor: it must load more pages too.
        self.watch(table, "scroll_y", self._more_if_near_the_end, init=False)

    @property
    def table(self) -> EntryTable:
        """The list; only called once the body is shown (``show_body``)."""
        assert self._table is not None, "the entry list is shown after the first frame"
        return self._table

    @property
    def highlighted(self) -> EntryRow | None:
        """The entry under the cursor; none before the list is shown."""
        return self._table.highlighted if self._table is not None else None

    @property
    def search_text(self) -> str:
        return self.query_one("#search", Input).value.strip()

    def reload(self, focus: str | None = None) -> None:
        if not self.journal.is_open:
            return  # it opens after the first frame, and the app reloads the screen then
        from charlie_worker import LIST_LIMIT  # loaded with the journal

        self._focus = focus or self._focus
        query = self.search_text
        if query:
            self.load(lambda: EntriesLoaded(self.journal.search(query), query))
        else:
            shown = self._shown = max(self._shown, LIST_LIMIT)
            self.load(lambda: EntriesLoaded(self.journal.entries(shown), "", self.journal.count()))

    def journal_changed(self, changes: Changes) -> None:
        """Read again only the entries shown whose state moved (their cost, not the
        journal's); reload the list when entries came, went or were corrected."""
        if changes.everything:
            self.reload()
            return
        shown = sorted(changes.entries & self.table.uuids)
        if shown and self.journal.is_open:
            # Not the "load" group: a refresh must not cancel a page being loaded.
            run_blocking(
                self,
                lambda: RowsRefreshed(self.journal.rows(shown)),
                group="rows",
                exclusive=False,
            )

    def on_rows_refreshed(self, message: RowsRefreshed) -> None:
        self.table.refresh_rows(message.rows)
        self._refresh_keys()  # "retry" follows the state of the entry under the cursor

    def on_entries_loaded(self, message: EntriesLoaded) -> None:
        if message.query != self.search_text:
            return  # the user typed on since: a newer search is on its way
        table = self.table
        table.loading = False
        if self.focused is None:  # a list loading cannot take the focus (Textual)
            table.focus()
        table.show(message.rows, self.clock(), focus=self._focus, grouped=not message.query)
        self._focus = None
        count = len(message.rows)
        hint = self.query_one("#hint", Static)
        if message.query:
            self.sub_title = f"{plural(count, 'match', 'matches')} for “{message.query}”"
            hint.update("" if count else f"No entry matches “{message.query}”.")
        else:
            self._total = message.total or count
            self.sub_title = plural(self._total, "entry", "entries")
            hint.update(
                ""
                if count
                else f"No entries yet. {press(self, 'new_entry', 'write your first one')}"
            )
        hint.display = not count
        self._refresh_keys()

    # ------------------------------------------------------------------ search

    @on(Input.Changed, "#search")
    def _search_soon(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY_S, self.reload)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def action_search(self) -> None:
        self.show_body()  # a "/" pressed as the app starts
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        if self._table is None:
            return
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""  # Input.Changed reloads the plain list
        self.table.focus()

    # ------------------------------------------------------------------ entries

    # The list's messages are handled by name, not with ``@on(DataTable.RowHighlighted)``:
    # the decorator would import DataTable for the first frame, which shows no list.
    def on_data_table_row_highlighted(self) -> None:
        self._refresh_keys()
        self._more_if_near_the_end()

    def _refresh_keys(self) -> None:
        """Offer edit, delete and retry as the entry under the cursor allows, refreshing the
        footer only when that changes: a refresh builds every key of the footer again, work a
        cursor move between two entries alike does not need."""
        row = self.highlighted
        keys = (row is not None, row is not None and row.entry.state == "failed")
        if keys != self._keys:
            self._keys = keys
            self.refresh_bindings()

    def _more_if_near_the_end(self) -> None:
        """Read one more page when the cursor or the view nears the last entry shown and there
        are more."""
        table = self.table
        shown = len(table.entries)
        if self.search_text or shown < self._shown or shown >= self._total:
            return  # a search, a page still loading, or the whole journal is shown
        near_cursor = table.cursor_row >= table.row_count - MORE_MARGIN
        near_scroll = table.scroll_y >= table.max_scroll_y - MORE_MARGIN
        if near_cursor or near_scroll:
            from charlie_worker import LIST_LIMIT  # loaded with the entries shown

            self._shown += LIST_LIMIT
            self.reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(OpenEntry(event.row_key.value))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "retry"):
            row = self.highlighted
            if row is None:
                return False
            if action == "retry" and row.entry.state != "failed":
                return False
        return True

    def action_edit(self) -> None:
        if row := self.highlighted:
            self.post_message(EditEntry(row.entry.uuid, row.entry.content, row.entry.date))

    def action_delete(self) -> None:
        if row := self.highlighted:
            self.post_message(DeleteEntry(row.entry.uuid))

    def action_retry(self) -> None:
        if row := self.highlighted:
            self.post_message(RetryEntry(row.entry.uuid))

"""The entity browser: the people, places, organisations and things of the journal, with how
many entries mention each. Typing filters (by name or alias); the list pages in as the cursor
reaches its end, so every entity can be reached. The corrections apply to the highlighted row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from ..formatting import Clock, entity_type_label
from ..messages import EntityListLoaded, OpenEntity
from ..widgets.footer import Footer
from ..widgets.row_table import RowTable
from ..widgets.status_bar import StatusBar
from .correcting import CorrectingScreen

if TYPE_CHECKING:
    from charlie_worker import EntityRef, EntityStat, Journal

FILTER_DELAY_S = 0.2
"""Filter once typing pauses, not on every key."""


class EntitiesScreen(CorrectingScreen):
    """People first, then places, organisations and things; most mentioned first in each."""

    OPENED_BY = "entities"
    TITLE = "Charlie"
    AUTO_FOCUS = "#entities"
    SUB_TITLE = "People, places and things"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("B", "app.blocked", "Blocked names", id="blocked"),
    ]

    def __init__(self, journal: Journal, clock: Clock) -> None:
        super().__init__(journal, clock)
        self._entities: dict[str, EntityStat] = {}
        self._shown_text = ""
        self._total = 0
        self._loading_more = False
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter by name  ( / )", id="entity-filter")
        yield RowTable(id="entities")
        yield Static(id="hint")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#entities", RowTable)
        table.add_column("Name", key="name")
        table.add_column("Type", width=14, key="type")
        table.add_column("Mentions", width=8, key="mentions")
        table.loading = True

    @property
    def filter_text(self) -> str:
        return self.query_one("#entity-filter", Input).value.strip()

    def reload(self, focus: str | None = None) -> None:
        """The first page again; for the same filter, as many rows as were shown, so the
        cursor keeps its place."""
        from charlie_worker import BROWSER_PAGE  # loaded with the journal, long open by now

        text = self.filter_text
        same = text == self._shown_text
        limit = max(BROWSER_PAGE, len(self._entities)) if same else BROWSER_PAGE
        self.load(lambda: EntityListLoaded(self.journal.curation.find(text, 0, limit), text, 0))

    def target(self) -> EntityRef | None:
        from charlie_worker import EntityRef

        key = self.query_one("#entities", RowTable).highlighted_key
        if entity := self._entities.get(key or ""):
            return EntityRef(entity.uuid, entity.name, entity.type)
        return None

    # ------------------------------------------------------------------ showing

    def on_entity_list_loaded(self, message: EntityListLoaded) -> None:
        if message.text != self.filter_text:
            return  # the user typed on since: a newer list is on its way
        table = self.query_one("#entities", RowTable)
        current = table.highlighted_key
        if message.offset == 0:
            table.clear()
            self._entities = {}
        self._loading_more = False
        self._shown_text = message.text
        self._total = message.found.total
        table.loading = False
        for entity in message.found.entities:
            if entity.uuid in self._entities:
                continue
            self._entities[entity.uuid] = entity
            table.add_row(
                Text(entity.name),
                Text(entity_type_label(entity.type)),
                Text(str(entity.mentions)),
                key=entity.uuid,
            )
        if message.offset == 0 and current in self._entities:
            table.move_cursor(row=table.get_row_index(current))
        self._show_counts()
        self.refresh_bindings()

    def _show_counts(self) -> None:
        shown, text = len(self._entities), self.filter_text
        if text:
            self.sub_title = f"{self._total} matching “{text}”"
        else:
            self.sub_title = f"People, places and things ({self._total})"
        hint = self.query_one("#hint", Static)
        if text:
            hint.update(f"Nothing matches “{text}”.")
        else:
            hint.update(
                "Nothing found yet. The people, places and organisations Charlie finds in "
                "your entries are listed here."
            )
        hint.display = not shown

    # ------------------------------------------------------------------ paging and filtering

    @on(DataTable.RowHighlighted, "#entities")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()
        table = self.query_one("#entities", RowTable)
        at_end = event.cursor_row >= table.row_count - 1
        if at_end and len(self._entities) < self._total and not self._loading_more:
            self._loading_more = True
            text, offset = self.filter_text, len(self._entities)
            self.load(
                lambda: EntityListLoaded(self.journal.curation.find(text, offset), text, offset)
            )

    @on(Input.Changed, "#entity-filter")
    def _filter_soon(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY_S, self.reload)

    @on(Input.Submitted, "#entity-filter")
    def _filter_done(self) -> None:
        self.query_one("#entities", RowTable).focus()

    def action_filter(self) -> None:
        self.query_one("#entity-filter", Input).focus()

    def action_back(self) -> None:
        """Escape clears the filter first, then leaves."""
        search = self.query_one("#entity-filter", Input)
        if search.value:
            search.value = ""
            self.query_one("#entities", RowTable).focus()
        else:
            self.app.pop_screen()

    @on(DataTable.RowSelected, "#entities")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if entity := self._entities.get(event.row_key.value or ""):
            self.post_message(OpenEntity(entity.uuid, entity.name, entity.type))

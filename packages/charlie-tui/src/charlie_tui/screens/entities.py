"""The entity browser: the people, places, organisations and things of the journal, with
how many entries mention each."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from charlie_worker import EntityStat, Journal

from ..formatting import Clock, entity_type_label, entity_type_sort_key
from ..messages import EntitiesLoaded, OpenEntity
from ..widgets.row_table import RowTable
from ..widgets.status_bar import StatusBar
from .base import DataScreen


class EntitiesScreen(DataScreen):
    """People first, then places, organisations and things; most mentioned first in each."""

    TITLE = "Charlie"
    AUTO_FOCUS = "#entities"
    SUB_TITLE = "People, places and things"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, journal: Journal, clock: Clock) -> None:
        super().__init__(journal, clock)
        self._entities: dict[str, EntityStat] = {}

    def compose(self) -> ComposeResult:
        yield Header()
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

    def reload(self, focus: str | None = None) -> None:
        self.load(lambda: EntitiesLoaded(self.journal.entities()))

    def on_entities_loaded(self, message: EntitiesLoaded) -> None:
        table = self.query_one("#entities", RowTable)
        current = table.highlighted_key
        entities = sorted(
            message.entities,
            key=lambda e: (entity_type_sort_key(e.type), -e.mentions, e.name.casefold()),
        )
        self._entities = {e.uuid: e for e in entities}
        table.loading = False
        table.clear()
        for entity in entities:
            table.add_row(
                Text(entity.name),
                Text(entity_type_label(entity.type)),
                Text(str(entity.mentions)),
                key=entity.uuid,
            )
        if current in self._entities:
            table.move_cursor(row=table.get_row_index(current))
        self.sub_title = f"People, places and things ({len(entities)})"
        hint = self.query_one("#hint", Static)
        hint.update(
            "Nothing found yet. The people, places and organisations Charlie finds in your "
            "entries are listed here."
        )
        hint.display = not entities

    @on(DataTable.RowSelected, "#entities")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if entity := self._entities.get(event.row_key.value or ""):
            self.post_message(OpenEntity(entity.uuid, entity.name, entity.type))

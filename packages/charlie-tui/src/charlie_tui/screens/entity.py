"""One entity: every entry that mentions it, newest first."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from charlie_worker import Journal

from ..formatting import Clock, entity_type_label, plural
from ..messages import EntriesLoaded, OpenEntry
from ..widgets.entry_table import EntryTable
from ..widgets.status_bar import StatusBar
from .base import DataScreen


class EntityScreen(DataScreen):
    """The entries of one person, place, organisation or thing."""

    TITLE = "Charlie"
    AUTO_FOCUS = "#mentions"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, journal: Journal, clock: Clock, uuid: str, name: str, kind: str) -> None:
        super().__init__(journal, clock)
        self.uuid = uuid
        self.entity_name = name
        self.kind = kind

    def compose(self) -> ComposeResult:
        yield Header()
        yield EntryTable(id="mentions")
        yield Static(id="hint")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.entity_name} ({entity_type_label(self.kind)})"
        table = self.query_one(EntryTable)
        table.loading = True

    def reload(self, focus: str | None = None) -> None:
        self.load(lambda: EntriesLoaded(self.journal.mentioning(self.uuid), ""))

    def on_entries_loaded(self, message: EntriesLoaded) -> None:
        table = self.query_one(EntryTable)
        table.loading = False
        table.show(message.rows, self.clock(), grouped=True)
        count = len(message.rows)
        label = entity_type_label(self.kind)
        self.sub_title = f"{self.entity_name} ({label}): {plural(count, 'entry', 'entries')}"
        hint = self.query_one("#hint", Static)
        hint.update(f"No entry mentions {self.entity_name} any more.")
        hint.display = not count

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(OpenEntry(event.row_key.value))

"""One entry: its text (with the people, places and things found in it marked), its state,
and the list of what was found: enter opens an entity's page, x removes it from this entry."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..background import run_blocking
from ..formatting import ENTITY_TYPE_ORDER, STATE_LABELS, Clock, entity_type_label, full_date
from ..keys import press
from ..messages import (
    Correct,
    DeleteEntry,
    EditEntry,
    EntryLoaded,
    HighlightsLoaded,
    OpenEntity,
    RetryEntry,
)
from ..widgets.footer import Footer
from ..widgets.status_bar import StatusBar
from .base import DataScreen

if TYPE_CHECKING:
    from charlie_worker import EntityRef, Journal

PENDING_NOTES = {
    "waiting": "Waiting to be read. Charlie reads entries in the background, oldest first.",
    "reading": "Charlie is reading this entry…",
}


class EntryScreen(DataScreen):
    """Follows its entry: when the worker finishes it, the entities appear by themselves."""

    TITLE = "Charlie"
    AUTO_FOCUS = "#entry-body"
    SUB_TITLE = "Entry"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("d", "delete", "Delete", id="delete"),
        Binding("r", "retry", "Retry", id="retry"),
        Binding("x", "remove_entity", "Remove from entry", id="remove-entity"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "entry-text--Person",
        "entry-text--Place",
        "entry-text--Organization",
        "entry-text--Thing",
    }

    def __init__(self, journal: Journal, clock: Clock, uuid: str) -> None:
        super().__init__(journal, clock)
        self.uuid = uuid
        self._content: str | None = None
        self._date: datetime | None = None
        self._state = ""
        self._entities: dict[str, EntityRef] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(id="entry-meta")
        yield Static(id="entry-note")
        with VerticalScroll(id="entry-body"):
            yield Static(id="entry-text", markup=False)
        yield Label("Found in this entry", id="entry-found-title")
        yield OptionList(id="entry-entities")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#entry-body").loading = True

    def reload(self, focus: str | None = None) -> None:
        self.load(lambda: EntryLoaded(self.journal.entry(self.uuid)))

    def on_entry_loaded(self, message: EntryLoaded) -> None:
        entry = message.entry
        if entry is None:
            self.notify("This entry no longer exists.", severity="warning")
            self.dismiss()
            return
        if entry.content != self._content:  # else keep the names marked while they reload
            self.query_one("#entry-text", Static).update(entry.content)
        self._content, self._state, self._date = entry.content, entry.state, entry.date
        self._entities = {ref.uuid: ref for ref in entry.entities}
        self.query_one("#entry-body").loading = False
        self.query_one("#entry-meta", Label).update(
            f"{full_date(entry.date, self.clock())}  ·  {STATE_LABELS[entry.state]}"
        )
        note = self.query_one("#entry-note", Static)
        note.set_class(entry.state == "failed", "-failed")
        # A long entry whose reading failed in part has what the other parts named filed.
        partly = entry.state == "failed" and bool(entry.entities)
        if partly:
            again = press(self, "retry", "read that part again")
            note.update(Text(f"Partly read: {entry.error}\n{again}"))
        elif entry.state == "failed":
            note.update(Text(f"Reading failed: {entry.error}\n{press(self, 'retry', 'try again')}"))
        else:
            note.update(PENDING_NOTES.get(entry.state, ""))
        note.display = entry.state != "done"
        entities = self.query_one("#entry-entities", OptionList)
        highlighted = entities.highlighted_option.id if entities.highlighted_option else None
        entities.clear_options()
        entities.add_options(
            Option(Text.assemble(ref.name, ("  " + entity_type_label(ref.type), "dim")), ref.uuid)
            for ref in entry.entities
        )
        if entry.entities:
            keep = highlighted if highlighted in self._entities else entry.entities[0].uuid
            entities.highlighted = entities.get_option_index(keep)
        title = self.query_one("#entry-found-title", Label)
        title.update(
            "Found in the parts that were read"
            if partly
            else "Found in this entry"
            if entry.entities
            else "Nothing found in this entry"
        )
        title.display = entry.state == "done" or partly
        entities.display = bool(entry.entities)
        self.refresh_bindings()
        if entry.state == "done" or partly:  # also when nothing is left to mark (a removal)
            uuid = self.uuid
            run_blocking(
                self,
                lambda: HighlightsLoaded(uuid, self.journal.curation.highlights(uuid)),
                group="highlights",
            )

    def on_highlights_loaded(self, message: HighlightsLoaded) -> None:
        """Mark each name in the text in its entity type's colour."""
        if self._content is None or message.entry_uuid != self.uuid:
            return
        text = Text(self._content)
        for found in message.highlights:
            kind = found.entity.type
            if kind in ENTITY_TYPE_ORDER:
                style = self.get_component_rich_style(f"entry-text--{kind}")
                text.stylize(style, found.start, found.end)
        self.query_one("#entry-text", Static).update(text)

    @on(OptionList.OptionSelected, "#entry-entities")
    def _open_entity(self, event: OptionList.OptionSelected) -> None:
        if ref := self._entities.get(event.option.id or ""):
            self.post_message(OpenEntity(ref.uuid, ref.name, ref.type))

    def _highlighted_entity(self) -> EntityRef | None:
        option = self.query_one("#entry-entities", OptionList).highlighted_option
        return self._entities.get(option.id or "") if option else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "delete", "retry") and self._content is None:
            return False
        if action == "remove_entity":
            return self._highlighted_entity() is not None
        if action == "retry":
            return self._state == "failed"
        return True

    def action_edit(self) -> None:
        if self._content is not None and self._date is not None:
            self.post_message(EditEntry(self.uuid, self._content, self._date))

    def action_delete(self) -> None:
        self.post_message(DeleteEntry(self.uuid))

    def action_retry(self) -> None:
        self.post_message(RetryEntry(self.uuid))

    def action_remove_entity(self) -> None:
        if (ref := self._highlighted_entity()) is not None:
            entry = self.uuid
            self.post_message(Correct(lambda c: c.remove_from_entry(ref.uuid, entry)))

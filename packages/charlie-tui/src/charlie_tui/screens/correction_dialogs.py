"""The small dialogs a correction asks through: a new name, a type, the entities to merge.

Each is a modal screen that dismisses with the answer, or None when cancelled (escape). They
only ask: the correction itself is made by the app (``messages.Correct``), off the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, SelectionList
from textual.widgets.option_list import Option

from ..background import run_blocking
from ..formatting import ENTITY_TYPE_ORDER, entity_type_label
from ..keys import keys_by_action
from ..messages import EntityListLoaded
from ..widgets.footer import Footer
from .base import SCREENS_CSS

if TYPE_CHECKING:
    from textual.widget import Widget

    from charlie_worker import EntityList, EntityRef, Journal

FILTER_DELAY_S = 0.2
"""Filter once typing pauses, not on every key."""


class NameScreen(ModalScreen[str | None]):
    """Asks for a name (renaming an entity, blocking a name); enter answers."""

    CSS_PATH = SCREENS_CSS
    AUTO_FOCUS = "#dialog-input"
    TEXT_BOX: ClassVar[type[Input]] = Input  # where the user types: keys.text_box_problems
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            yield Input(self.value, id="dialog-input", select_on_focus=True)
        yield Footer()

    @on(Input.Submitted)
    def _answer(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TypeScreen(ModalScreen[str | None]):
    """Asks for an entity's type; the current one is highlighted."""

    CSS_PATH = SCREENS_CSS
    AUTO_FOCUS = "#dialog-types"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, entity: EntityRef) -> None:
        super().__init__()
        self.entity = entity

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"“{self.entity.name}” is a…"))
            yield OptionList(
                *(Option(entity_type_label(kind), kind) for kind in ENTITY_TYPE_ORDER),
                id="dialog-types",
            )
        yield Footer()

    def on_mount(self) -> None:
        if self.entity.type in ENTITY_TYPE_ORDER:
            types = self.query_one(OptionList)
            types.highlighted = ENTITY_TYPE_ORDER.index(self.entity.type)

    @on(OptionList.OptionSelected)
    def _answer(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _bindings_but(widget: type[Widget], key: str) -> list[BindingType]:
    """``widget``'s bindings as its class hierarchy merges them (a subclass's key replaces its
    base's), but ``key``'s: for a subclass that leaves ``key`` to its screen
    (``inherit_bindings=False``)."""
    merged: dict[str, Binding] = {}
    for cls in reversed(widget.__mro__):
        merged |= {b.key: b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)}
    return [binding for bound, binding in merged.items() if bound != key]


class MergeChoices(SelectionList[str], inherit_bindings=False):
    """The merge dialog's choices: a ``SelectionList`` whose enter is the dialog's Merge, not
    its own toggle (space toggles).

    Merge is an ordinary binding of the dialog, not a priority one: a priority binding runs as
    soon as its key arrives, ahead of the keys before it still on their way to the list, so
    "down, space, enter" read from the terminal at once merged the choice highlighted first.
    As an ordinary binding, enter reaches the dialog after the list has handled those keys."""

    BINDINGS: ClassVar[list[BindingType]] = _bindings_but(SelectionList, "enter")


class MergeScreen(ModalScreen[list[str] | None]):
    """Picks the entities to merge into ``entity``: type to filter, space to mark, enter to
    merge the marked ones (or the highlighted one when none is marked)."""

    CSS_PATH = SCREENS_CSS
    AUTO_FOCUS = "#merge-filter"
    TEXT_BOX: ClassVar[type[Input]] = Input  # where the user types: keys.text_box_problems
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("enter", "merge", "Merge", id="confirm-merge"),
    ]

    def __init__(self, journal: Journal, entity: EntityRef) -> None:
        super().__init__()
        self.journal = journal
        self.entity = entity
        self._marked: set[str] = set()
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="merge-dialog"):
            yield Label(
                Text(f"Merge into “{self.entity.name}”: its name stays, theirs become aliases.")
            )
            yield Input(placeholder="Type to find", id="merge-filter")
            yield MergeChoices(id="merge-choices")
            yield Label(id="merge-help")
        yield Footer()

    def on_mount(self) -> None:
        keys = keys_by_action(self)  # the user's keys, where they chose others
        help_text = f"space marks · {keys['merge']} merges · {keys['cancel']} cancels"
        self.query_one("#merge-help", Label).update(help_text)
        self._load()

    @on(Input.Changed, "#merge-filter")
    def _filter_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(FILTER_DELAY_S, self._load)

    @on(Input.Submitted, "#merge-filter")
    def _from_filter(self) -> None:
        """Enter in the filter is the text box's: it merges what is marked, or goes to the
        choices."""
        self.action_merge()

    def _load(self) -> None:
        text = self.query_one("#merge-filter", Input).value
        run_blocking(
            self, lambda: EntityListLoaded(self.journal.curation.find(text), text, 0), group="load"
        )

    def on_entity_list_loaded(self, message: EntityListLoaded) -> None:
        if message.text != self.query_one("#merge-filter", Input).value:
            return
        self._show(message.found)

    def _show(self, found: EntityList) -> None:
        choices = self.query_one(SelectionList)
        choices.clear_options()
        for entity in found.entities:
            if entity.uuid != self.entity.uuid:
                label = Text.assemble(
                    entity.name, (f"  {entity_type_label(entity.type)} · {entity.mentions}", "dim")
                )
                choices.add_option((label, entity.uuid, entity.uuid in self._marked))
        if choices.option_count:
            choices.highlighted = 0

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        self._marked ^= {event.selection.value}

    def action_merge(self) -> None:
        """Merge the marked entities; with none marked, the highlighted one."""
        choices = self.query_one(SelectionList)
        if self._marked:
            self.dismiss(sorted(self._marked))
        elif choices.has_focus and choices.highlighted is not None:
            self.dismiss([choices.get_option_at_index(choices.highlighted).value])
        elif choices.option_count:
            choices.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

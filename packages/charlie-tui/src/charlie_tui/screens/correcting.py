"""A screen that corrects the entity it points at: the entity page and the entity browser.

Rename, change the type, merge others into it, delete it from every entry, block it: each key
(and its command palette entry) asks what it needs, then posts ``Correct`` for the app to make
the correction off the loop and offer its undo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

from ..messages import Correct
from .base import DataScreen
from .confirm import ConfirmScreen
from .correction_dialogs import MergeScreen, NameScreen, TypeScreen

if TYPE_CHECKING:
    from charlie_worker import Curation, EntityRef, Undo

CORRECTIONS = ("rename", "retype", "merge", "delete_everywhere", "block")


class CorrectingScreen(DataScreen):
    """Subclasses say which entity the corrections apply to (``target``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "rename", "Rename", id="rename"),
        Binding("t", "retype", "Change type", id="retype"),
        Binding("m", "merge", "Merge into this", id="merge"),
        Binding("D", "delete_everywhere", "Delete everywhere", id="delete-everywhere"),
        Binding("b", "block", "Block", id="block"),
    ]

    def target(self) -> EntityRef | None:
        """The entity a correction applies to now, if any."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CORRECTIONS:
            return self.target() is not None
        return True

    def action_rename(self) -> None:
        if (entity := self.target()) is None:
            return

        def answered(name: str | None) -> None:
            if name and name.strip() and name.strip() != entity.name:
                self.post_message(Correct(lambda c: c.rename(entity.uuid, name)))

        self.app.push_screen(NameScreen(f"Rename “{entity.name}” to:", entity.name), answered)

    def action_retype(self) -> None:
        if (entity := self.target()) is None:
            return

        def answered(kind: str | None) -> None:
            if kind and kind != entity.type:
                self.post_message(Correct(lambda c: c.retype(entity.uuid, kind)))

        self.app.push_screen(TypeScreen(entity), answered)

    def action_merge(self) -> None:
        if (entity := self.target()) is None:
            return

        def answered(others: list[str] | None) -> None:
            if others:
                self.post_message(Correct(lambda c: c.merge(entity.uuid, others)))

        self.app.push_screen(MergeScreen(self.journal, entity), answered)

    def action_delete_everywhere(self) -> None:
        if (entity := self.target()) is None:
            return
        self._confirm(
            f"Delete “{entity.name}” from every entry? (u undoes it right after)",
            "Delete",
            lambda c: c.delete_everywhere(entity.uuid),
        )

    def action_block(self) -> None:
        if (entity := self.target()) is None:
            return
        self._confirm(
            f"Block “{entity.name}”? It goes from every entry and Charlie never files it "
            "again in this journal (unblock it from the blocked names).",
            "Block",
            lambda c: c.block(entity.uuid),
        )

    def _confirm(self, question: str, yes: str, apply: Callable[[Curation], Undo]) -> None:
        def answered(sure: bool | None) -> None:
            if sure:
                self.post_message(Correct(apply))

        self.app.push_screen(ConfirmScreen(question, yes), answered)

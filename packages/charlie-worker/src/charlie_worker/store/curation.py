"""``Curation``: the door through which an app explores and corrects what Charlie found.

Reached as ``Journal.curation``: it reads entity pages, the entity browser's pages, an
entry's highlights and the blocked names (``entity_pages``), and makes the user's corrections
(``corrections``), each of which returns the ``Undo`` that reverses it. Every call holds the
journal's guard, so none can reach a closed connection; every call blocks (call it from a
thread).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from . import corrections, entity_pages
from .corrections import BlockedName, Undo
from .entity_pages import BROWSER_PAGE, EntityList, EntityPage, Highlight

Guard = Callable[[], AbstractContextManager[None]]


class Curation:
    """Corrections and the entity page of one journal, under that journal's open guard."""

    def __init__(self, journal: str, guard: Guard) -> None:
        self.journal = journal
        self._guard = guard

    # ----------------------------------------------------------------- reads

    def page(self, uuid: str) -> EntityPage | None:
        """One entity's page, or None when it no longer exists."""
        with self._guard():
            return entity_pages.entity_page(self.journal, uuid)

    def find(self, text: str = "", offset: int = 0, limit: int = BROWSER_PAGE) -> EntityList:
        """A page of the entities whose names contain ``text``, and how many match in all."""
        with self._guard():
            return entity_pages.find_entities(self.journal, text, offset, limit)

    def highlights(self, entry_uuid: str) -> list[Highlight]:
        """Where an entry names the entities found in it."""
        with self._guard():
            return entity_pages.highlights(self.journal, entry_uuid)

    def blocked(self) -> list[BlockedName]:
        """The names extraction never files in this journal."""
        with self._guard():
            return corrections.blocked_names(self.journal)

    # ----------------------------------------------------------------- corrections

    def rename(self, uuid: str, name: str) -> Undo:
        with self._guard():
            return corrections.rename(self.journal, uuid, name)

    def retype(self, uuid: str, kind: str) -> Undo:
        with self._guard():
            return corrections.retype(self.journal, uuid, kind)

    def merge(self, survivor: str, others: Iterable[str]) -> Undo:
        with self._guard():
            return corrections.merge(self.journal, survivor, others)

    def remove_from_entry(self, uuid: str, entry_uuid: str) -> Undo:
        with self._guard():
            return corrections.remove_from_entry(self.journal, uuid, entry_uuid)

    def delete_everywhere(self, uuid: str) -> Undo:
        with self._guard():
            return corrections.delete_everywhere(self.journal, uuid)

    def block(self, uuid: str) -> Undo:
        with self._guard():
            return corrections.block(self.journal, uuid)

    def block_name(self, name: str) -> Undo:
        with self._guard():
            return corrections.block_name(self.journal, name)

    def unblock(self, norm: str) -> Undo:
        with self._guard():
            return corrections.unblock(self.journal, norm)

    def undo(self, correction: Undo) -> None:
        """Reverse a correction this journal made (right after it: later reads of the same
        entries are overwritten)."""
        with self._guard():
            corrections.undo(self.journal, correction)

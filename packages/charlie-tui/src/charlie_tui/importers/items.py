"""What a reader yields: an entry found in a source, or an item it could not read and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from charlie_worker import NewEntry


@dataclass(frozen=True, slots=True)
class Found:
    """An entry read from ``where`` (a file, or a file and an entry number in it)."""

    where: str
    text: str
    date: datetime
    source_id: str | None = None

    def entry(self) -> NewEntry:
        return NewEntry(self.text, self.date, self.source_id)


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something at ``where`` that is not imported, and why (shown to the user)."""

    where: str
    reason: str


def describe(exc: Exception) -> str:
    """The first line of an error, short enough for a one-line reason."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__

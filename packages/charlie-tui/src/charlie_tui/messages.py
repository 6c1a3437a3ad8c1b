"""Messages that carry results from thread workers back to the event loop, and requests
from screens up to the app (which owns the journal's write operations and navigation).

Each is a dataclass for its fields and ``__init__`` only (``eq=False, repr=False``): a message
is compared by identity, as Textual's are, and the generated ``__eq__`` and ``__repr__`` of
these thirty classes were ~4 ms of the app's start, before its first frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

from .runtime import Snapshot

if TYPE_CHECKING:
    from charlie_worker import (
        BlockedName,
        Changes,
        Curation,
        EntityList,
        EntityPage,
        EntityStat,
        EntryDetail,
        EntryRow,
        Highlight,
        Journal,
        Undo,
    )

# ---------------------------------------------------------------- results (thread -> loop)


@dataclass(eq=False, repr=False)
class DatabaseOpened(Message):
    """The database is open and the worker (if any) started: screens can load. The user's
    keys that would not work as written (``keys.keymap_problems``) come along, to be shown."""

    journal: Journal
    key_problems: list[str]


@dataclass(eq=False, repr=False)
class DatabaseFailed(Message):
    error: str


@dataclass(eq=False, repr=False)
class StartupFailed(Message):
    """The app cannot use the data dir (a setting is invalid, another app has it open): it
    exits with ``exit_code`` and the command line prints ``error``."""

    error: str
    exit_code: int


@dataclass(eq=False, repr=False)
class Polled(Message):
    snapshot: Snapshot
    changes: Changes | None = None
    """What changed since the version the screens show (None: the version did not move)."""


@dataclass(eq=False, repr=False)
class RowsRefreshed(Message):
    """Entries read again because their reading state moved."""

    rows: list[EntryRow]


@dataclass(eq=False, repr=False)
class PollFailed(Message):
    error: str


@dataclass(eq=False, repr=False)
class EntriesLoaded(Message):
    rows: list[EntryRow]
    query: str
    """The search it answers ("" for the plain list)."""
    total: int | None = None
    """How many entries the journal holds (the plain list only: it shows them page by page)."""


@dataclass(eq=False, repr=False)
class EntryLoaded(Message):
    entry: EntryDetail | None


@dataclass(eq=False, repr=False)
class EntitiesLoaded(Message):
    entities: list[EntityStat]


@dataclass(eq=False, repr=False)
class HighlightsLoaded(Message):
    """Where the entry on screen names its entities."""

    entry_uuid: str
    highlights: list[Highlight]


@dataclass(eq=False, repr=False)
class EntityPageLoaded(Message):
    page: EntityPage | None


@dataclass(eq=False, repr=False)
class EntityListLoaded(Message):
    """A page of the entity browser; ``text`` is the filter it answers, ``offset`` where
    the page starts (0 replaces the list, more appends)."""

    found: EntityList
    text: str
    offset: int


@dataclass(eq=False, repr=False)
class BlockedLoaded(Message):
    names: list[BlockedName]


@dataclass(eq=False, repr=False)
class Corrected(Message):
    """A correction was made; ``undo`` reverses it."""

    undo: Undo


@dataclass(eq=False, repr=False)
class Undone(Message):
    undo: Undo


@dataclass(eq=False, repr=False)
class EntrySaved(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class SaveFailed(Message):
    error: str


@dataclass(eq=False, repr=False)
class EntryDeleted(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class EntryRetried(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class OperationFailed(Message):
    """A read or write failed for a reason that is not the user's (the database went away)."""

    error: str


@dataclass(eq=False, repr=False)
class LogLoaded(Message):
    """The newest lines of the worker's log."""

    lines: list[str]


@dataclass(eq=False, repr=False)
class ReadingToggled(Message):
    """Reading was paused (``paused``) or resumed."""

    paused: bool


@dataclass(eq=False, repr=False)
class FailedRetried(Message):
    count: int


@dataclass(eq=False, repr=False)
class Closed(Message):
    """The worker is stopped and the database closed: the app can exit."""


# ---------------------------------------------------------------- requests (screen -> app)


@dataclass(eq=False, repr=False)
class OpenEntry(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class OpenEntity(Message):
    uuid: str
    name: str
    type: str


@dataclass(eq=False, repr=False)
class EditEntry(Message):
    uuid: str
    content: str
    date: datetime


@dataclass(eq=False, repr=False)
class DeleteEntry(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class RetryEntry(Message):
    uuid: str


@dataclass(eq=False, repr=False)
class Correct(Message):
    """Make a correction: ``apply`` calls one of the journal's ``Curation`` methods."""

    apply: Callable[[Curation], Undo]

"""``Journal``: the one door through which an app reads and writes a journal.

Every read and write the UI makes goes through it: entries, search, entities, the queue and
the worker's report, what changed since the last look (``changes``), saving (which queues the
entry for reading), retry and delete. It binds
the journal name and guards the shared connection: after ``close()`` no call may reach
``get_db()``, which would quietly start a new server that nobody stops. Every call blocks:
call it from a thread (``add_journal_entry`` is the awaitable form of saving for scripts).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from charlie_worker.settings import DEFAULT_JOURNAL

from . import entries, imports, queries
from .changes import DELETED, SAVED, Changes, changes_since, current_version, record_change
from .connection import close_db, get_db, reopen_if_lost, socket_path
from .curation import Curation
from .entries import NewEntry
from .episode_state import count_backlog, reindex_backlog
from .graphs import select_graph
from .imports import Progress
from .queries import EntityStat, EntryDetail, EntryPage, EntryRow, PageCursor
from .queue import enqueue_reading
from .reading import Reading
from .worker_state import WorkerStatus, read_status

logger = logging.getLogger(__name__)

LIST_LIMIT = 200
"""Entries per page of the list (the list itself has no cap: it pages)."""


class JournalClosedError(RuntimeError):
    """The app is closing (or the database never opened): nothing more is read or written."""


@dataclass(frozen=True, slots=True)
class QueueState:
    """How many entries wait for the worker and how many failed, and the journal's change
    ``version``: it moves on every write the list shows (an entry saved, edited, deleted,
    queued, picked up, read or failed, a correction), and only then does the app ask
    ``Journal.changes`` what moved."""

    waiting: int
    failed: int
    version: int


class Journal:
    """One journal, as an app reads and writes it."""

    def __init__(self, name: str = DEFAULT_JOURNAL) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._active = 0
        self._state = "new"  # new -> open -> closed

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    # ----------------------------------------------------------------- lifecycle

    def open(self) -> str:
        """Open (start) the database and ensure the journal's schema; returns its socket."""
        with self._use(opening=True):
            get_db()
            select_graph(self.name)
            reindex_backlog()
            socket = socket_path()
        with self._cond:
            if self._state == "new":
                self._state = "open"
        return socket

    def reopen_if_lost(self) -> str | None:
        """Start the database server again if it is gone (killed, or stopped by the script
        that started it); returns its new socket, for a new worker, or None if it runs.
        Every acknowledged save is there: the server reloads its append-only file."""
        with self._use():
            return socket_path() if reopen_if_lost() else None

    def close(self) -> None:
        """Refuse new calls, wait for running ones, then close the connection. Idempotent."""
        with self._cond:
            self._state = "closed"
            self._cond.wait_for(lambda: self._active == 0)
        close_db()

    @contextmanager
    def _use(self, opening: bool = False) -> Iterator[None]:
        with self._cond:
            if self._state == "closed" or (self._state == "new" and not opening):
                raise JournalClosedError("The journal is not open.")
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @property
    def curation(self) -> Curation:
        """Entity pages and corrections (``store.curation``), under this journal's guard."""
        return Curation(self.name, self._use)

    @property
    def reading(self) -> Reading:
        """Pause, resume, retry every failed entry (``store.reading``)."""
        return Reading(self.name, self._use, self.retry)

    # ----------------------------------------------------------------- reads

    def entries(self, limit: int = LIST_LIMIT, offset: int = 0) -> list[EntryRow]:
        """``limit`` entries from the ``offset``-th, newest entry date first."""
        with self._use():
            summaries = queries.list_entries(self.name, limit, offset)
            return queries.with_entities(summaries, self.name)

    def count(self) -> int:
        """How many entries the journal holds (the list shows them page by page)."""
        with self._use():
            return queries.count_entries(self.name)

    def page(self, limit: int = LIST_LIMIT, after: PageCursor | None = None) -> EntryPage:
        """The page of the list after ``after`` (the first when None), with the next cursor."""
        with self._use():
            return queries.list_page(self.name, limit, after)

    def all_entries(self) -> Iterator[EntryRow]:
        """Every entry, newest entry date first, read page by page."""
        cursor: PageCursor | None = None
        while True:
            page = self.page(LIST_LIMIT, after=cursor)
            yield from page.rows
            if page.next is None:
                return
            cursor = page.next

    def search(self, text: str) -> list[EntryRow]:
        """Entries matching every word of ``text``, best match first."""
        with self._use():
            return queries.with_entities(queries.search_entries(text, self.name), self.name)

    def mentioning(self, entity_uuid: str) -> list[EntryRow]:
        """Entries that mention an entity, newest first."""
        with self._use():
            rows = queries.entries_mentioning(entity_uuid, self.name)
            return queries.with_entities(rows, self.name)

    def entry(self, uuid: str) -> EntryDetail | None:
        with self._use():
            return queries.get_entry(uuid, self.name)

    def entities(self) -> list[EntityStat]:
        """Every entity some entry mentions, most mentioned first."""
        with self._use():
            return queries.list_entities(self.name)

    def worker_status(self) -> WorkerStatus:
        with self._use():
            return read_status()

    def queue(self) -> QueueState:
        """Three O(1) reads, whatever the size of the journal or its backlog."""
        with self._use():
            waiting, failed = count_backlog()
            return QueueState(waiting, failed, current_version())

    def changes(self, since: int) -> Changes:
        """What changed after version ``since``: the entries whose reading state moved, or
        ``everything`` (reload the view). Reads at most ``changes.MAX_ENTRIES`` events."""
        with self._use():
            return changes_since(since)

    def rows(self, uuids: Sequence[str]) -> list[EntryRow]:
        """These entries as the list shows them (one that no longer exists is left out)."""
        with self._use():
            return queries.with_entities(queries.entries_by_uuid(uuids, self.name), self.name)

    # ----------------------------------------------------------------- writes

    def add(self, content: str, date: datetime | None = None) -> str:
        """Save a new entry about ``date`` (default: now) and queue it for reading; returns its
        uuid. Raises EntryError (the text) or SaveError (a full disk, the server gone: nothing
        was written), each with a message for the user."""
        with self._use():
            return save_entry(content, self.name, date)

    def update(self, uuid: str, content: str, date: datetime | None = None) -> None:
        """Replace an entry's text (and date, when given); it is read again."""
        with self._use():
            entries.update_entry(uuid, content, self.name, date)
            record_change(SAVED, [uuid])
            _enqueue(uuid, self.name)

    def already_there(self, items: Sequence[NewEntry]) -> list[bool]:
        """For each entry to import, whether this journal already holds it."""
        with self._use():
            return imports.already_there(items, self.name)

    def add_backlog(self, items: Sequence[NewEntry], progress: Progress | None = None) -> list[str]:
        """Save many entries at once and queue their reading behind what the user writes."""
        with self._use():
            return imports.save_backlog(items, self.name, progress)

    def delete(self, uuid: str) -> bool:
        with self._use():
            deleted = entries.delete_entry(uuid, self.name)
            record_change(DELETED, [uuid])
            return deleted

    def retry(self, uuid: str) -> None:
        """Queue a failed (or waiting) entry again."""
        with self._use():
            entries.retry_entry(uuid, self.name)
            _enqueue(uuid, self.name)


def save_entry(content: str, journal: str = DEFAULT_JOURNAL, date: datetime | None = None) -> str:
    """Save a new entry and queue it for reading; returns its uuid. Blocks."""
    uuid = entries.add_entry(content, journal, date)  # its change recorded with it
    _enqueue(uuid, journal)
    return uuid


async def add_journal_entry(content: str, journal: str = DEFAULT_JOURNAL) -> str:
    """Save a new entry and queue it for reading, off the event loop; returns its uuid.

    Opens this process's connection to the journal's database on first use (starting the
    embedded server if no app runs); the worker reads the entry when it runs.
    """
    return await asyncio.to_thread(save_entry, content, journal)


def _enqueue(uuid: str, journal: str) -> None:
    """Hand the saved entry to the worker; on failure it stays pending for recovery.

    The entry is already saved at this point, so a failure here must not look like a failed
    save to the user (they would save it twice).
    """
    try:
        enqueue_reading(uuid, journal)
    except Exception:
        logger.warning(
            "could not queue entry %s; it stays pending until the worker recovers it",
            uuid,
            exc_info=True,
        )

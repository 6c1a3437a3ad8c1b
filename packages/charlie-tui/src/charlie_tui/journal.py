"""The app's door to the journal database. Every call blocks: call it from a thread worker.

A thin layer over ``charlie_worker``'s API that binds the journal name, adds the two reads
the screens need and the worker does not offer (the names found in each listed entry, and a
cheap fingerprint of the queue to poll), and guards the shared connection: after ``close()``
no call may reach ``get_db()``, which would quietly start a new server that nobody stops.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from charlie_worker.database.lifecycle import close_db, get_db, select_graph
from charlie_worker.database.lifecycle import socket_path as db_socket_path
from charlie_worker.database.redis_ops import FAILED, PENDING, scan_episodes
from charlie_worker.graph import episodes, queries
from charlie_worker.graph.queries import EntityRef, EntityStat, EntryDetail, EntrySummary
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.status import WorkerStatus, read_status

LIST_LIMIT = 200

# The entities of a page of listed entries, in one query instead of one ``get_entry`` each.
_NAMES = """
MATCH (e:Episode)-[:MENTIONS]->(n:Entity) WHERE e.uuid IN $uuids
RETURN e.uuid, n.uuid, n.name, n.type
"""


class JournalClosedError(RuntimeError):
    """The app is closing (or the database never opened): nothing more is read or written."""


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A listed entry with the entities found in it (empty until it has been read)."""

    entry: EntrySummary
    entities: tuple[EntityRef, ...]


@dataclass(frozen=True, slots=True)
class QueueState:
    """The entries the worker still has to deal with, read from their redis hashes.

    ``fingerprint`` changes whenever an entry is queued, picked up, finished, fails or is
    deleted: the app reloads what is on screen only then.
    """

    waiting: int
    failed: int
    fingerprint: frozenset[tuple[str, str, bool]]


class Journal:
    """One journal of the embedded database, as the UI reads and writes it."""

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
            socket = db_socket_path()
        with self._cond:
            if self._state == "new":
                self._state = "open"
        return socket

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

    # ----------------------------------------------------------------- reads

    def entries(self, limit: int = LIST_LIMIT) -> list[EntryRow]:
        """The newest entries, newest first."""
        with self._use():
            return self._rows(queries.list_entries(self.name, limit))

    def search(self, text: str) -> list[EntryRow]:
        """Entries matching every word of ``text``, best match first."""
        with self._use():
            return self._rows(queries.search_entries(text, self.name))

    def mentioning(self, entity_uuid: str) -> list[EntryRow]:
        """Entries that mention an entity, newest first."""
        with self._use():
            return self._rows(queries.entries_mentioning(entity_uuid, self.name))

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
        """One SCAN plus one pipeline, bounded by the backlog (done entries have no hash)."""
        with self._use():
            rows = scan_episodes("status", "processing_since")
        fingerprint = frozenset(
            (episode_uuid, status, bool(since))
            for episode_uuid, (status, since) in rows
            if status in (PENDING, FAILED)
        )
        return QueueState(
            waiting=sum(status == PENDING for _, status, _ in fingerprint),
            failed=sum(status == FAILED for _, status, _ in fingerprint),
            fingerprint=fingerprint,
        )

    # ----------------------------------------------------------------- writes

    def add(self, content: str) -> str:
        """Save a new entry (raises EntryError with a message for the user); returns its uuid."""
        with self._use():
            return episodes.add_entry(content, self.name)

    def update(self, uuid: str, content: str) -> None:
        with self._use():
            episodes.update_entry(uuid, content, self.name)

    def delete(self, uuid: str) -> bool:
        with self._use():
            return episodes.delete_entry(uuid, self.name)

    def retry(self, uuid: str) -> None:
        with self._use():
            episodes.retry_entry(uuid, self.name)

    # ----------------------------------------------------------------- helpers

    def _rows(self, summaries: list[EntrySummary]) -> list[EntryRow]:
        with_entities = [s.uuid for s in summaries if s.entity_count]
        found: dict[str, list[EntityRef]] = {}
        if with_entities:
            result = select_graph(self.name).ro_query(_NAMES, {"uuids": with_entities})
            for entry_uuid, uuid, name, kind in result.result_set:
                found.setdefault(entry_uuid, []).append(
                    EntityRef(str(uuid), str(name or ""), str(kind or ""))
                )
        return [
            EntryRow(s, tuple(sorted(found.get(s.uuid, ()), key=lambda e: e.name.casefold())))
            for s in summaries
        ]

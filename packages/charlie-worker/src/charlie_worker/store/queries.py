"""The read side for the UI: entries, their entities and search, as frozen dataclasses.

Called from the TUI's background threads. Each function makes one graph query plus at most
one redis pipeline (the entries' processing state), never one query per row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import redis

from charlie_worker.settings import DEFAULT_JOURNAL

from .connection import get_redis
from .dates import entry_date, instant
from .episode_state import FAILED, episode_key
from .graphs import select_graph

logger = logging.getLogger(__name__)

EntryState = Literal["waiting", "reading", "done", "failed"]

MAX_SEARCH_TERMS = 16
_LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class EntrySummary:
    """One entry in a list. ``date``: the moment it is about (timezone-aware); ``created_at``:
    when it was saved. ``state``: waiting (queued), reading (the worker is on it), done (read;
    no longer in redis) or failed (``error`` says why)."""

    uuid: str
    content: str
    created_at: float
    date: datetime
    state: EntryState
    error: str | None
    entity_count: int


@dataclass(frozen=True, slots=True)
class EntityRef:
    """An entity as shown next to an entry."""

    uuid: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class EntryDetail(EntrySummary):
    """One entry with the entities it mentions (sorted by name)."""

    entities: list[EntityRef]


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A listed entry with the entities found in it (empty until it has been read)."""

    entry: EntrySummary
    entities: tuple[EntityRef, ...]


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a page of the list ended: the next page starts after this entry."""

    at: float
    uuid: str


@dataclass(frozen=True, slots=True)
class EntryPage:
    """One page of the list, and the cursor of the next (None: this was the last page)."""

    rows: list[EntryRow]
    next: PageCursor | None


@dataclass(frozen=True, slots=True)
class EntityStat:
    """An entity with the number of entries that mention it."""

    uuid: str
    name: str
    type: str
    mentions: int


# The moment an entry is about; entries saved before entries had dates are about their save.
_AT = "coalesce(e.date_ts, e.created_at)"

# Columns shared by every entry query: uuid, content, created_at, date, entity count, instant.
_ENTRY_COLUMNS = f"""e.uuid, e.content, e.created_at, e.date,
       size([(e)-[:MENTIONS]->(n:Entity) | n.uuid]) AS entity_count, {_AT} AS at"""

# Newest first by entry date; a page starts after the cursor's entry (keyset paging: stable
# while entries are added) and skips ``offset`` more.
_LIST = f"""
MATCH (e:Episode)
WITH e, {_AT} AS at
WHERE $after_at IS NULL OR at < $after_at OR (at = $after_at AND e.uuid > $after_uuid)
WITH e ORDER BY {_AT} DESC, e.uuid SKIP $offset LIMIT $limit
RETURN {_ENTRY_COLUMNS}
ORDER BY at DESC, e.uuid
"""

_GET = """
MATCH (e:Episode {uuid: $uuid})
OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
WITH e, collect(DISTINCT n) AS ents
RETURN e.uuid, e.content, e.created_at, e.date, [x IN ents | [x.uuid, x.name, x.type]]
"""

_BY_UUID = f"""
MATCH (e:Episode) WHERE e.uuid IN $uuids
RETURN {_ENTRY_COLUMNS}
"""

_COUNT = "MATCH (e:Episode) RETURN count(e)"

_SOURCES = "MATCH (e:Episode) WHERE e.source_id IN $ids RETURN e.source_id"

_SAME_TEXT = f"MATCH (e:Episode) WHERE e.content IN $texts RETURN e.content, {_AT}"

_ENTITIES = """
MATCH (n:Entity)<-[:MENTIONS]-(e:Episode)
WITH n, count(DISTINCT e) AS mentions
RETURN n.uuid, n.name, n.type, mentions
ORDER BY mentions DESC, n.name, n.uuid
LIMIT $limit
"""

_MENTIONING = f"""
MATCH (:Entity {{uuid: $uuid}})<-[:MENTIONS]-(e:Episode)
WITH DISTINCT e
RETURN {_ENTRY_COLUMNS}
ORDER BY at DESC, e.uuid
LIMIT $limit
"""

_SEARCH = f"""
CALL db.idx.fulltext.queryNodes('Episode', $query) YIELD node, score
WITH node AS e, score
RETURN {_ENTRY_COLUMNS}
ORDER BY score DESC, at DESC
LIMIT $limit
"""

# The entities of a page of listed entries, in one query instead of one ``get_entry`` each.
_NAMES = """
MATCH (e:Episode)-[:MENTIONS]->(n:Entity) WHERE e.uuid IN $uuids
RETURN e.uuid, n.uuid, n.name, n.type
"""

_WORD = re.compile(r"\w+")


def list_entries(
    journal: str = DEFAULT_JOURNAL, limit: int = 200, offset: int = 0
) -> list[EntrySummary]:
    """``limit`` entries from the ``offset``-th, newest entry date first."""
    return _summaries(_list_rows(journal, limit, None, offset))


def count_entries(journal: str = DEFAULT_JOURNAL) -> int:
    """How many entries the journal holds."""
    return int(select_graph(journal).ro_query(_COUNT).result_set[0][0])


def list_page(
    journal: str = DEFAULT_JOURNAL,
    limit: int = 200,
    after: PageCursor | None = None,
    offset: int = 0,
) -> EntryPage:
    """A page of the list, newest entry date first: ``limit`` entries after ``after`` (from
    the start when None) and ``offset`` more. The whole journal is reachable page by page."""
    rows = _list_rows(journal, _limit(limit) + 1, after, offset)  # one more: is there a next?
    rows, more = rows[:limit], len(rows) > limit
    last = rows[-1] if rows and more else None
    cursor = PageCursor(float(last[-1]), str(last[0])) if last else None  # type: ignore[arg-type]
    return EntryPage(with_entities(_summaries(rows), journal), cursor)


def _list_rows(
    journal: str, limit: int, after: PageCursor | None, offset: int
) -> list[list[object]]:
    params = {
        "limit": _limit(limit),
        "offset": _limit(offset),
        "after_at": after.at if after else None,
        "after_uuid": after.uuid if after else "",
    }
    return select_graph(journal).ro_query(_LIST, params).result_set


def entries_by_uuid(uuids: Sequence[str], journal: str = DEFAULT_JOURNAL) -> list[EntrySummary]:
    """These entries (through the uuid index: the cost is theirs, not the journal's), in no
    particular order; one that no longer exists is left out."""
    if not uuids:
        return []
    rows = select_graph(journal).ro_query(_BY_UUID, {"uuids": list(uuids)}).result_set
    return _summaries(rows)


def existing_sources(source_ids: Sequence[str], journal: str = DEFAULT_JOURNAL) -> set[str]:
    """Which of ``source_ids`` an entry of the journal was already imported from."""
    found: set[str] = set()
    for start in range(0, len(source_ids), _LOOKUP_CHUNK):
        ids = list(source_ids[start : start + _LOOKUP_CHUNK])
        rows = select_graph(journal).ro_query(_SOURCES, {"ids": ids}).result_set
        found.update(str(row[0]) for row in rows)
    return found


def existing_dated_texts(
    texts: Sequence[str], journal: str = DEFAULT_JOURNAL
) -> set[tuple[float, str]]:
    """``(instant, text)`` of the journal's entries whose text is one of ``texts``: an entry
    with the same text at the same moment (to the millisecond) is already there."""
    found: set[tuple[float, str]] = set()
    unique = sorted(set(texts))
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        params = {"texts": unique[start : start + _LOOKUP_CHUNK]}
        rows = select_graph(journal).ro_query(_SAME_TEXT, params).result_set
        found.update((instant(at), str(content)) for content, at in rows)
    return found


def get_entry(uuid: str, journal: str = DEFAULT_JOURNAL) -> EntryDetail | None:
    """One entry with its entities, or None when it does not exist."""
    rows = select_graph(journal).ro_query(_GET, {"uuid": uuid}).result_set
    if not rows:
        return None
    entry_uuid, content, created_at, date, ents = rows[0]
    entities = sorted(
        (EntityRef(str(u), str(name or ""), str(kind or "")) for u, name, kind in ents),
        key=lambda ref: (ref.name.casefold(), ref.uuid),
    )
    state, error = _states([entry_uuid])[entry_uuid]
    return EntryDetail(
        uuid=entry_uuid,
        content=content,
        created_at=float(created_at or 0.0),
        date=entry_date(date, created_at),
        state=state,
        error=error,
        entity_count=len(entities),
        entities=entities,
    )


def list_entities(journal: str = DEFAULT_JOURNAL, limit: int = 1000) -> list[EntityStat]:
    """Entities mentioned by at least one entry, most mentioned first."""
    rows = select_graph(journal).ro_query(_ENTITIES, {"limit": _limit(limit)}).result_set
    return [
        EntityStat(str(u), str(name or ""), str(kind or ""), int(mentions))
        for u, name, kind, mentions in rows
    ]


def entries_mentioning(
    entity_uuid: str, journal: str = DEFAULT_JOURNAL, limit: int = 200
) -> list[EntrySummary]:
    """Entries that mention an entity, newest first."""
    params = {"uuid": entity_uuid, "limit": _limit(limit)}
    rows = select_graph(journal).ro_query(_MENTIONING, params).result_set
    return _summaries(rows)


def search_entries(
    text: str, journal: str = DEFAULT_JOURNAL, limit: int = 50
) -> list[EntrySummary]:
    """Entries matching every word of ``text`` (the last one as a prefix), best match first.

    Any text is safe: it is reduced to plain words before reaching the search syntax.
    """
    query = fulltext_query(text)
    if query is None:
        return []
    params = {"query": query, "limit": _limit(limit)}
    try:
        rows = select_graph(journal).ro_query(_SEARCH, params).result_set
    except redis.ResponseError as exc:
        if "RediSearch" not in str(exc):
            raise
        logger.warning("search %r (as %r) rejected: %s", text, query, exc)
        return []
    return _summaries(rows)


def with_entities(summaries: list[EntrySummary], journal: str = DEFAULT_JOURNAL) -> list[EntryRow]:
    """Each listed entry with the entities found in it (sorted by name): one query in all."""
    uuids = [s.uuid for s in summaries if s.entity_count]
    found: dict[str, list[EntityRef]] = {}
    if uuids:
        result = select_graph(journal).ro_query(_NAMES, {"uuids": uuids})
        for entry_uuid, uuid, name, kind in result.result_set:
            found.setdefault(entry_uuid, []).append(
                EntityRef(str(uuid), str(name or ""), str(kind or ""))
            )
    return [
        EntryRow(s, tuple(sorted(found.get(s.uuid, ()), key=lambda e: e.name.casefold())))
        for s in summaries
    ]


def fulltext_query(text: str) -> str | None:
    """A RediSearch query made only of words from ``text``, or None if it has none.

    Punctuation is RediSearch syntax (``-`` negates, ``|`` ors, ``"`` and ``(`` must
    balance, ``@`` selects fields, ``%`` is fuzzy, ``*`` prefixes): keeping only ``\\w+``
    runs removes all of it. Words are ANDed; the last one also matches as a prefix so
    results follow the user's typing.
    """
    if not isinstance(text, str):
        return None
    words = _WORD.findall(text)[:MAX_SEARCH_TERMS]
    if not words:
        return None
    if len(words[-1]) >= 2:  # RediSearch's minimum prefix length
        words[-1] += "*"
    return " ".join(words)


def _summaries(rows: list[list[object]]) -> list[EntrySummary]:
    uuids = [str(row[0]) for row in rows]
    states = _states(uuids)
    return [
        EntrySummary(
            uuid=u,
            content=str(content),
            created_at=float(created_at or 0.0),  # type: ignore[arg-type]
            date=entry_date(date, created_at),
            state=states[u][0],
            error=states[u][1],
            entity_count=int(count),  # type: ignore[call-overload]
        )
        for u, (_, content, created_at, date, count, _at) in zip(uuids, rows, strict=True)
    ]


def _states(uuids: list[str]) -> dict[str, tuple[EntryState, str | None]]:
    """Processing state of each entry from its redis hash, in one pipeline."""
    if not uuids:
        return {}
    pipe = get_redis().pipeline(transaction=False)
    for u in uuids:
        pipe.hmget(episode_key(u), "status", "processing_since", "error")
    return {
        u: _state(status, since, error)
        for u, (status, since, error) in zip(uuids, pipe.execute(), strict=True)
    }


def _state(
    status: str | None, processing_since: str | None, error: str | None
) -> tuple[EntryState, str | None]:
    if status is None:
        return "done", None
    if status == FAILED:
        return "failed", error or "Unknown error"
    if processing_since:
        return "reading", None
    return "waiting", None


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError("limit must be a non-negative integer.")
    return limit

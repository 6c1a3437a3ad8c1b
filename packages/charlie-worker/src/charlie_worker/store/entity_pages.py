"""What the app shows about entities: one entity's page (every mention quoted, newest entry
first, the entities that appear with it), the browser's filtered pages of entities, and where
an entry names its entities (the entry screen's highlights).

Entries are ordered by ``ENTRY_DATE``, the date each entry is about (its save time for
entries older than entry dates), and shown with that date in its own offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dates import entry_date
from .graphs import select_graph
from .names import ENTITY_TYPES, normal_name
from .queries import EntityRef, EntityStat
from .quotes import MAX_QUOTE_CHARS, Quote, entity_spans, quotes

ENTRY_DATE = "coalesce(e.date_ts, e.created_at)"
"""The instant an entry is filed under, as a Cypher expression on the entry ``e``."""

RELATED_TYPES = ("Person", "Place", "Organization")
"""The kinds of entity listed as appearing with another (things are too many and too vague)."""
MAX_RELATED = 12
BROWSER_PAGE = 200


@dataclass(frozen=True, slots=True)
class EntityQuote:
    """One sentence of one entry that names the entity."""

    entry_uuid: str
    when: datetime
    quote: Quote


@dataclass(frozen=True, slots=True)
class Related:
    """An entity mentioned in ``together`` of the entries that mention the page's entity."""

    entity: EntityRef
    together: int


@dataclass(frozen=True, slots=True)
class EntityPage:
    """One entity: its names, how often and when it is mentioned, every mention quoted (newest
    entry first; an entry that names it in no sentence the page can find is quoted by its
    first line), and who and what appears with it, most often first."""

    entity: EntityRef
    aliases: tuple[str, ...]
    entries: int
    first: datetime | None
    last: datetime | None
    quotes: tuple[EntityQuote, ...]
    related: tuple[Related, ...]


@dataclass(frozen=True, slots=True)
class EntityList:
    """One page of the entity browser and how many entities match in all."""

    entities: tuple[EntityStat, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Highlight:
    """Where an entry names one of its entities."""

    start: int
    end: int
    entity: EntityRef


_ENTITY = """
MATCH (n:Entity {uuid: $uuid})
RETURN n.name, n.type, coalesce(n.aliases, []), coalesce(n.written_as, [])
"""

_MENTIONS = f"""
MATCH (:Entity {{uuid: $uuid}})<-[:MENTIONS]-(e:Episode)
WITH DISTINCT e
RETURN e.uuid, e.content, e.date, e.created_at, {ENTRY_DATE} AS at
ORDER BY at DESC, e.uuid
"""

_RELATED = """
MATCH (n:Entity {uuid: $uuid})<-[:MENTIONS]-(e:Episode)-[:MENTIONS]->(o:Entity)
WHERE o <> n AND o.type IN $types
RETURN o.uuid, o.name, o.type, count(DISTINCT e) AS together
ORDER BY together DESC, o.name, o.uuid
LIMIT $limit
"""

# People first, then places, organisations, things (``$types``, in that order), then any
# other type; most mentioned first within each.
_TYPE_ORDER = (
    "coalesce(head([i IN range(0, size($types) - 1) WHERE $types[i] = n.type]), size($types))"
)
_MATCHING = """
MATCH (n:Entity)<-[:MENTIONS]-(e:Episode)
WHERE $text = '' OR n.norm_name CONTAINS $text
   OR any(a IN coalesce(n.alias_norms, []) WHERE a CONTAINS $text)
WITH n, count(DISTINCT e) AS mentions
"""
_FIND = f"""{_MATCHING}
RETURN n.uuid, n.name, n.type, mentions
ORDER BY {_TYPE_ORDER}, mentions DESC, n.name, n.uuid
SKIP $offset LIMIT $limit
"""
_COUNT = f"{_MATCHING} RETURN count(n)"

_ENTRY_NAMES = """
MATCH (e:Episode {uuid: $uuid})
OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
RETURN e.content,
       collect([n.uuid, n.name, n.type, coalesce(n.aliases, []) + coalesce(n.written_as, [])])
"""


def entity_page(journal: str, uuid: str) -> EntityPage | None:
    """The page of one entity, or None when it no longer exists."""
    graph = select_graph(journal)
    found = graph.ro_query(_ENTITY, {"uuid": uuid}).result_set
    if not found:
        return None
    name, kind, aliases, written_as = found[0]
    entity = EntityRef(uuid, str(name), str(kind))
    names = (entity.name, *aliases, *written_as)
    entries = [
        (str(entry), str(content), entry_date(date, created_at))
        for entry, content, date, created_at, _at in graph.ro_query(
            _MENTIONS, {"uuid": uuid}
        ).result_set
    ]
    found_quotes = [
        EntityQuote(entry, date, quote)
        for entry, content, date in entries
        for quote in quotes(content, names) or [_first_line(content)]
    ]
    params = {"uuid": uuid, "types": list(RELATED_TYPES), "limit": MAX_RELATED}
    related = [
        Related(EntityRef(str(u), str(n), str(t)), int(together))
        for u, n, t, together in graph.ro_query(_RELATED, params).result_set
    ]
    dates = [date for _, _, date in entries]
    return EntityPage(
        entity=entity,
        aliases=tuple(aliases),
        entries=len(entries),
        first=min(dates, default=None),
        last=max(dates, default=None),
        quotes=tuple(found_quotes),
        related=tuple(related),
    )


def find_entities(
    journal: str, text: str = "", offset: int = 0, limit: int = BROWSER_PAGE
) -> EntityList:
    """Entities some entry mentions whose name or an alias contains ``text`` (accents, case
    and punctuation aside), people first, then most mentioned; ``limit`` from ``offset``."""
    graph = select_graph(journal)
    params = {
        "text": normal_name(text),
        "types": list(ENTITY_TYPES),
        "offset": max(0, offset),
        "limit": max(0, limit),
    }
    rows = graph.ro_query(_FIND, params).result_set
    total = graph.ro_query(_COUNT, params).result_set[0][0]
    return EntityList(
        tuple(EntityStat(str(u), str(n), str(t), int(m)) for u, n, t, m in rows), int(total)
    )


def highlights(journal: str, entry_uuid: str) -> list[Highlight]:
    """Where the entry names each of the entities found in it: by any of their names, or as
    an entry wrote one (``entities.file_mentions``); failing those, by a word of one
    (``quotes.entity_spans``, as the page quotes it)."""
    rows = select_graph(journal).ro_query(_ENTRY_NAMES, {"uuid": entry_uuid}).result_set
    if not rows:
        return []
    content, entities = rows[0]
    found = [
        Highlight(start, end, EntityRef(str(u), str(n), str(t)))
        for u, n, t, aliases in entities
        if u is not None
        for start, end in entity_spans(content, (n, *aliases))
    ]
    return _without_overlaps(found)


def _first_line(content: str) -> Quote:
    line = next((line.strip() for line in content.splitlines() if line.strip()), "")
    return Quote(line[:MAX_QUOTE_CHARS], ())


def _without_overlaps(found: list[Highlight]) -> list[Highlight]:
    """In text order; where two entities' names overlap the longer one is kept."""
    kept: list[Highlight] = []
    for h in sorted(found, key=lambda h: (h.start, -(h.end - h.start))):
        if not kept or h.start >= kept[-1].end:
            kept.append(h)
    return kept

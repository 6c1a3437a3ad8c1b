"""The entity side of the graph as the reader sees it: an entry's text, the entities the
journal already knows (with the user's corrections: names, aliases, types), the names the user
blocked, and filing what was found in one entry.

The worker's extraction and the test seeds both file through ``file_mentions``, so a test
graph has exactly the shape the worker writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graphs import select_graph

_CONTENT = "MATCH (e:Episode {uuid: $uuid}) RETURN e.content"
_KNOWN = """
MATCH (n:Entity)
RETURN n.uuid, n.name, n.norm_name, n.type, coalesce(n.aliases, []), coalesce(n.alias_norms, [])
"""
_BLOCKED = "MATCH (b:Blocked) RETURN b.norm"
_OLD = "MATCH (:Episode {uuid: $uuid})-[:MENTIONS]->(n:Entity) RETURN n.uuid"
# One query, so it is atomic: a worker killed mid-write leaves all of it or none of it.
# An entity is its normalised name and type: MERGE on those, not on the uuid resolution
# proposed, so two workers that both met a new "Sarah" at once file one node (FalkorDB runs
# a graph's write queries one at a time). The proposed uuid is used only when it creates.
_WRITE = """
MATCH (ep:Episode {uuid: $uuid})
OPTIONAL MATCH (ep)-[old:MENTIONS]->()
DELETE old
WITH DISTINCT ep
UNWIND $rows AS row
MERGE (n:Entity {norm_name: row.norm, type: row.type})
  ON CREATE SET n.uuid = row.uuid, n.name = row.name, n.journal = $journal
MERGE (ep)-[:MENTIONS]->(n)
"""
_DROP_ORPHANS = """
MATCH (n:Entity) WHERE n.uuid IN $uuids AND NOT ()-[:MENTIONS]->(n)
DELETE n
"""


@dataclass(frozen=True)
class Known:
    """An entity the journal already has. ``aliases`` are the names it was known by before
    the user merged or renamed it, and ``alias_norms`` their normalised forms: an entry that
    uses one of them means this entity."""

    uuid: str
    name: str
    norm: str
    type: str
    aliases: tuple[str, ...] = ()
    alias_norms: tuple[str, ...] = ()

    def names(self) -> dict[str, str]:
        """Every name of the entity mapped to its type: what the extractor is told it knows."""
        return dict.fromkeys((self.name, *self.aliases), self.type)


@dataclass(frozen=True)
class Mention:
    """One entity an entry names, resolved to the uuid it is filed under."""

    name: str
    type: str
    uuid: str
    norm: str
    is_new: bool


def entry_content(episode_uuid: str, journal: str) -> str | None:
    """The entry's text, or None when it was deleted."""
    rows = select_graph(journal).ro_query(_CONTENT, {"uuid": episode_uuid}).result_set
    return rows[0][0] if rows else None


def known_entities(journal: str) -> list[Known]:
    """Every entity of the journal, for resolution, as the user last corrected it."""
    rows = select_graph(journal).ro_query(_KNOWN).result_set
    return [
        Known(uuid, name, norm, kind, tuple(aliases), tuple(alias_norms))
        for uuid, name, norm, kind, aliases, alias_norms in rows
    ]


def blocked_norms(journal: str) -> frozenset[str]:
    """The normalised names the user blocked: extraction never files them in this journal."""
    return frozenset(row[0] for row in select_graph(journal).ro_query(_BLOCKED).result_set)


def file_mentions(episode_uuid: str, journal: str, mentions: list[Mention]) -> None:
    """Replace the entry's mentions with ``mentions`` (creating new entities), then drop the
    entities its previous run filed that nothing mentions any more. Idempotent."""
    graph = select_graph(journal)
    old = [row[0] for row in graph.ro_query(_OLD, {"uuid": episode_uuid}).result_set]
    rows = [{"uuid": m.uuid, "name": m.name, "norm": m.norm, "type": m.type} for m in mentions]
    graph.query(_WRITE, {"uuid": episode_uuid, "journal": journal, "rows": rows})
    if old:
        graph.query(_DROP_ORPHANS, {"uuids": old})

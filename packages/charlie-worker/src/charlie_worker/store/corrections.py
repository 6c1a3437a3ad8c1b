"""The user's corrections to what Charlie found: rename an entity, change its type, merge
entities, remove one from an entry, delete one from every entry, block and unblock a name.

Each correction is ONE graph query, so a process killed at any moment leaves the journal as it
was before or as it is after, never half corrected (FalkorDB runs a graph's write queries one
at a time; the AOF persists each acknowledged one). The query also returns the state it
replaced, read in the same query: that state is the correction's ``Undo``, and ``undo`` writes
it back, again in one query.

The pipeline reads the corrections back (``entities.known_entities``, ``blocked_norms``):
an old name stays on the entity as an alias, so a later entry that uses it means the corrected
entity; a blocked name is never filed again. Names are keyed by ``names.normal_name``, the
worker's own folding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .changes import CORRECTED, record_change
from .graphs import select_graph
from .names import ENTITY_TYPES, MAX_NAME_CHARS, normal_name


class CorrectionError(ValueError):
    """The correction cannot be made as asked; the message is meant for the user."""


@dataclass(frozen=True, slots=True)
class EntitySnapshot:
    """An entity as it was before a correction. ``mentions`` (the entries that mention it)
    is None when the correction left them alone, so undoing it leaves them alone too."""

    uuid: str
    name: str
    norm: str
    type: str
    aliases: tuple[str, ...]
    alias_norms: tuple[str, ...]
    mentions: tuple[str, ...] | None
    written_as: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockedName:
    """A name extraction never files in this journal (``norm`` is what is compared)."""

    name: str
    norm: str


@dataclass(frozen=True, slots=True)
class Undo:
    """The inverse of one correction: the entities to write back as they were, and the
    blocked names to take back (``unblock``) or restore (``block``). ``description`` says
    what the correction did, for the user."""

    description: str
    entities: tuple[EntitySnapshot, ...] = ()
    unblock: tuple[str, ...] = ()
    block: tuple[BlockedName, ...] = ()


# An entity ``n``'s own fields, as map entries; ``mentions`` is added where a correction
# changes them.
_FIELDS = """uuid: n.uuid, name: n.name, norm: n.norm_name, type: n.type,
             aliases: coalesce(n.aliases, []), alias_norms: coalesce(n.alias_norms, []),
             written_as: coalesce(n.written_as, [])"""
_MENTIONED = "OPTIONAL MATCH (x:Episode)-[:MENTIONS]->(n) WITH n, collect(x.uuid) AS eps"

_BLOCKED = "MATCH (b:Blocked) RETURN b.name, b.norm ORDER BY b.norm"
_RECORD = f"MATCH (n:Entity) WHERE n.uuid IN $uuids RETURN {{{_FIELDS}}}"

# Rename and retype refuse (``clash``) when another entity already has the resulting name and
# type: that is a merge, which the user should ask for knowingly.
_RENAME = f"""
MATCH (n:Entity {{uuid: $uuid}})
OPTIONAL MATCH (other:Entity {{norm_name: $norm, type: n.type}}) WHERE other <> n
WITH n, count(other) AS clash, {{{_FIELDS}}} AS before
FOREACH (_ IN CASE WHEN clash = 0 THEN [1] ELSE [] END |
  SET n.name = $name, n.norm_name = $norm, n.aliases = $aliases, n.alias_norms = $alias_norms)
RETURN before, clash
"""

_RETYPE = f"""
MATCH (n:Entity {{uuid: $uuid}})
OPTIONAL MATCH (other:Entity {{norm_name: n.norm_name, type: $type}}) WHERE other <> n
WITH n, count(other) AS clash, {{{_FIELDS}}} AS before
FOREACH (_ IN CASE WHEN clash = 0 THEN [1] ELSE [] END | SET n.type = $type)
RETURN before, clash
"""

_MERGE = f"""
MATCH (s:Entity {{uuid: $survivor}})
MATCH (n:Entity) WHERE n.uuid IN $others AND n <> s
{_MENTIONED}, s
WITH s, collect(n) AS gone, collect({{{_FIELDS}, mentions: eps}}) AS before
WITH s AS n, gone, before
{_MENTIONED}, gone, before
WITH n AS s, gone, before, {{{_FIELDS}, mentions: eps}} AS kept
CALL {{
  WITH s, gone
  UNWIND gone AS o
  MATCH (ep:Episode)-[:MENTIONS]->(o)
  MERGE (ep)-[:MENTIONS]->(s)
}}
SET s.aliases = $aliases, s.alias_norms = $alias_norms, s.written_as = $written_as
FOREACH (o IN gone | DETACH DELETE o)
RETURN kept, before
"""

# The entity goes with its last mention, as when an entry is deleted.
_REMOVE_FROM_ENTRY = f"""
MATCH (:Episode {{uuid: $entry}})-[m:MENTIONS]->(n:Entity {{uuid: $uuid}})
{_MENTIONED}, m
WITH n, m, {{{_FIELDS}, mentions: eps}} AS before
DELETE m
FOREACH (_ IN CASE WHEN size(before.mentions) = 1 THEN [1] ELSE [] END | DELETE n)
RETURN before
"""

_DELETE = f"""
MATCH (n:Entity {{uuid: $uuid}})
{_MENTIONED}
WITH n, {{{_FIELDS}, mentions: eps}} AS before
DETACH DELETE n
RETURN before
"""

# Every name of the entity is blocked; ``already`` are those blocked before (undo keeps them).
_BLOCK_ENTITY = f"""
MATCH (n:Entity {{uuid: $uuid}})
{_MENTIONED}
WITH n, {{{_FIELDS}, mentions: eps}} AS before,
     [n.name] + coalesce(n.aliases, []) AS names,
     [n.norm_name] + coalesce(n.alias_norms, []) AS norms
OPTIONAL MATCH (b:Blocked) WHERE b.norm IN norms
WITH n, before, names, norms, collect(b.norm) AS already
CALL {{
  WITH names, norms
  UNWIND range(0, size(norms) - 1) AS i
  MERGE (b:Blocked {{norm: norms[i]}}) ON CREATE SET b.name = names[i]
}}
DETACH DELETE n
RETURN before, already
"""

_BLOCK_NAME = """
OPTIONAL MATCH (old:Blocked {norm: $norm})
WITH count(old) AS already
MERGE (b:Blocked {norm: $norm}) ON CREATE SET b.name = $name
RETURN already
"""

_UNBLOCK = """
MATCH (b:Blocked {norm: $norm})
WITH b, b.name AS name
DELETE b
RETURN name
"""

# Undo: entities back as they were (mentions too, when the correction changed them), blocked
# names taken back or restored, and an entity left with no entry (its entries were deleted
# since) not brought back.
_RESTORE = """
CALL {
  UNWIND $entities AS s
  MERGE (n:Entity {uuid: s.uuid})
  SET n.name = s.name, n.norm_name = s.norm, n.type = s.type, n.aliases = s.aliases,
      n.alias_norms = s.alias_norms, n.written_as = s.written_as, n.journal = $journal
  WITH n, s WHERE s.mentions IS NOT NULL
  OPTIONAL MATCH (ep:Episode)-[m:MENTIONS]->(n) WHERE NOT ep.uuid IN s.mentions
  DELETE m
  WITH DISTINCT n, s
  UNWIND s.mentions AS entry
  MATCH (ep:Episode {uuid: entry})
  MERGE (ep)-[:MENTIONS]->(n)
}
CALL { UNWIND $unblock AS norm MATCH (b:Blocked {norm: norm}) DELETE b }
CALL { UNWIND $block AS bn MERGE (b:Blocked {norm: bn.norm}) SET b.name = bn.name }
CALL {
  UNWIND $entities AS s
  MATCH (n:Entity {uuid: s.uuid}) WHERE NOT ()-[:MENTIONS]->(n)
  DELETE n
}
RETURN 1
"""


def rename(journal: str, uuid: str, name: str) -> Undo:
    """Call the entity ``name``; its old name stays as an alias (an entry that uses it still
    means this entity). Refused when another entity of its type already has that name."""
    name = _valid_name(name)
    norm = normal_name(name)
    current = _record(journal, uuid)
    aliases = _aliases([(current.name, current.norm), *_pairs(current)], exclude=norm)
    params = {"uuid": uuid, "name": name, "norm": norm, **_alias_params(aliases)}
    before, clash = _one(journal, _RENAME, params)
    if clash:
        raise CorrectionError(
            f"There is already a {before['type'].lower()} called “{name}”. Merge the two instead."
        )
    return Undo(f"Renamed “{before['name']}” to “{name}”.", (_snapshot(before),))


def retype(journal: str, uuid: str, kind: str) -> Undo:
    """Make the entity a ``kind`` (Person, Place, Organization or Thing). Refused when an
    entity of that type already has its name."""
    if kind not in ENTITY_TYPES:
        raise CorrectionError(f"“{kind}” is not a type; use one of {', '.join(ENTITY_TYPES)}.")
    before, clash = _one(journal, _RETYPE, {"uuid": uuid, "type": kind})
    if clash:
        raise CorrectionError(
            f"There is already a {kind.lower()} called “{before['name']}”. Merge the two instead."
        )
    return Undo(f"“{before['name']}” is now a {kind.lower()}.", (_snapshot(before),))


def merge(journal: str, survivor: str, others: Iterable[str]) -> Undo:
    """Fold ``others`` into ``survivor``: their mentions move over and their names become its
    aliases, so later entries that use them resolve to it; the other ways entries wrote them
    (``entities.file_mentions``) come along too. The survivor keeps its type."""
    gone = [uuid for uuid in dict.fromkeys(others) if uuid != survivor]
    if not gone:
        raise CorrectionError("Choose at least one other entity to merge.")
    records = _records(journal, [survivor, *gone])
    if survivor not in records or not set(gone) & records.keys():
        raise CorrectionError("Those entities no longer exist; the list was out of date.")
    kept = records[survivor]
    names = [*_pairs(kept)]
    written_as = list(kept.written_as)
    for uuid in gone:
        if other := records.get(uuid):
            names += [(other.name, other.norm), *_pairs(other)]
            written_as += other.written_as
    aliases = _aliases(names, exclude=kept.norm)
    params = {
        "survivor": survivor,
        "others": gone,
        "written_as": list(dict.fromkeys(written_as)),
        **_alias_params(aliases),
    }
    before_kept, before_gone = _one(journal, _MERGE, params)
    merged = ", ".join(f"“{g['name']}”" for g in before_gone)
    return Undo(
        f"Merged {merged} into “{before_kept['name']}”.",
        (_snapshot(before_kept), *(_snapshot(g) for g in before_gone)),
    )


def remove_from_entry(journal: str, uuid: str, entry_uuid: str) -> Undo:
    """The entry no longer mentions the entity (which goes if no other entry does)."""
    (before,) = _one(journal, _REMOVE_FROM_ENTRY, {"uuid": uuid, "entry": entry_uuid})
    return Undo(f"Removed “{before['name']}” from the entry.", (_snapshot(before),))


def delete_everywhere(journal: str, uuid: str) -> Undo:
    """Delete the entity and every mention of it."""
    (before,) = _one(journal, _DELETE, {"uuid": uuid})
    return Undo(f"Deleted “{before['name']}” from every entry.", (_snapshot(before),))


def block(journal: str, uuid: str) -> Undo:
    """Delete the entity from every entry and block all its names: extraction never files
    them again in this journal."""
    before, already = _one(journal, _BLOCK_ENTITY, {"uuid": uuid})
    snapshot = _snapshot(before)
    names = dict.fromkeys((snapshot.norm, *snapshot.alias_norms))
    return Undo(
        f"Blocked “{snapshot.name}”: Charlie will not file it again.",
        (snapshot,),
        unblock=tuple(n for n in names if n not in already),
    )


def block_name(journal: str, name: str) -> Undo:
    """Block a name that no entity has (yet): extraction never files it in this journal."""
    name = _valid_name(name)
    norm = normal_name(name)
    (already,) = _one(journal, _BLOCK_NAME, {"name": name, "norm": norm})
    return Undo(f"Blocked “{name}”.", unblock=() if already else (norm,))


def unblock(journal: str, norm: str) -> Undo:
    """Let extraction file a blocked name again (from the next entry read)."""
    (name,) = _one(journal, _UNBLOCK, {"norm": norm})
    return Undo(f"Unblocked “{name}”.", block=(BlockedName(name, norm),))


def blocked_names(journal: str) -> list[BlockedName]:
    """The names the user blocked, alphabetically."""
    rows = select_graph(journal).ro_query(_BLOCKED).result_set
    return [BlockedName(str(name), str(norm)) for name, norm in rows]


def undo(journal: str, correction: Undo) -> None:
    """Write back what ``correction`` replaced, in one query."""
    params = {
        "journal": journal,
        "entities": [
            {
                "uuid": s.uuid,
                "name": s.name,
                "norm": s.norm,
                "type": s.type,
                "aliases": list(s.aliases),
                "alias_norms": list(s.alias_norms),
                "written_as": list(s.written_as),
                "mentions": None if s.mentions is None else list(s.mentions),
            }
            for s in correction.entities
        ],
        "unblock": list(correction.unblock),
        "block": [{"name": b.name, "norm": b.norm} for b in correction.block],
    }
    select_graph(journal).query(_RESTORE, params)
    record_change(CORRECTED)


# ---------------------------------------------------------------------------- helpers


def _one(journal: str, cypher: str, params: dict[str, Any]) -> list[Any]:
    """The single row of a correction query; no row means its entity (or name) is gone."""
    rows = select_graph(journal).query(cypher, params).result_set
    if not rows:
        raise CorrectionError("That no longer exists; the list was out of date.")
    record_change(CORRECTED)  # lists of entries show the names: they reload
    return rows[0]


def _records(journal: str, uuids: list[str]) -> dict[str, EntitySnapshot]:
    rows = select_graph(journal).ro_query(_RECORD, {"uuids": uuids}).result_set
    return {row[0]["uuid"]: _snapshot(row[0]) for row in rows}


def _record(journal: str, uuid: str) -> EntitySnapshot:
    if record := _records(journal, [uuid]).get(uuid):
        return record
    raise CorrectionError("That no longer exists; the list was out of date.")


def _snapshot(row: dict[str, Any]) -> EntitySnapshot:
    mentions = row.get("mentions")
    return EntitySnapshot(
        uuid=str(row["uuid"]),
        name=str(row["name"]),
        norm=str(row["norm"]),
        type=str(row["type"]),
        aliases=tuple(row["aliases"]),
        alias_norms=tuple(row["alias_norms"]),
        mentions=None if mentions is None else tuple(dict.fromkeys(mentions)),
        written_as=tuple(row["written_as"]),
    )


def _pairs(entity: EntitySnapshot) -> list[tuple[str, str]]:
    return list(zip(entity.aliases, entity.alias_norms, strict=True))


def _aliases(names: list[tuple[str, str]], exclude: str) -> list[tuple[str, str]]:
    """``(name, norm)`` pairs, one per norm, without the entity's own name."""
    kept: dict[str, str] = {}
    for name, norm in names:
        if norm != exclude:
            kept.setdefault(norm, name)
    return [(name, norm) for norm, name in kept.items()]


def _alias_params(aliases: list[tuple[str, str]]) -> dict[str, list[str]]:
    return {"aliases": [a for a, _ in aliases], "alias_norms": [n for _, n in aliases]}


def _valid_name(name: object) -> str:
    if not isinstance(name, str) or not normal_name(name):
        raise CorrectionError("A name needs at least one letter or digit.")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise CorrectionError(f"A name is at most {MAX_NAME_CHARS} characters.")
    if "\x00" in name:
        raise CorrectionError("A name cannot contain a NUL character (\\0).")
    return name

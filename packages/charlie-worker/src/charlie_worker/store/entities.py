"""The entity side of the graph as the reader sees it: an entry's text, the entities the
journal already knows (with the user's corrections: names, aliases, types), the names the user
blocked, and filing what was found in one entry.

Reading an entry never reads every entity: the journal's names that occur in the entry
(``named_in``) and the entities an extracted name may mean (``candidates_for``) are index
lookups (``schema.RANGE_INDEXES``, ``schema.NAME_INDEXES``), so an entry costs the same in a
journal of ten entities and of ten thousand.

The worker's extraction and the test seeds both file through ``file_mentions``, so a test
graph has exactly the shape the worker writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .graphs import select_graph
from .names import MAX_NAME_CHARS, normal_name

_CONTENT = "MATCH (e:Episode {uuid: $uuid}) RETURN e.content"
_KNOWN = """
MATCH (n:Entity)
RETURN n.uuid, n.name, n.norm_name, n.type, coalesce(n.aliases, []), coalesce(n.alias_norms, [])
"""
# Both lookups return the graph's own order (node id), the order ``_KNOWN`` lists them in:
# resolution takes the first of equally good candidates, so the order is part of the answer.
_NAMED = """
MATCH (n:Entity) WHERE n.norm_name IN $norms
RETURN id(n) AS id, n.uuid AS uuid, n.name AS name, n.norm_name AS norm, n.type AS type,
       coalesce(n.aliases, []) AS aliases, coalesce(n.alias_norms, []) AS alias_norms
UNION
UNWIND $norms AS norm
MATCH (n:Entity) WHERE norm IN n.alias_norms
RETURN id(n) AS id, n.uuid AS uuid, n.name AS name, n.norm_name AS norm, n.type AS type,
       coalesce(n.aliases, []) AS aliases, coalesce(n.alias_norms, []) AS alias_norms
"""
# A name's near names of its type, best full-text matches first. Without their aliases: an
# alias is only ever matched exactly, and the exact lookup before this one found none (a
# journal of many near names answers 25 rows a name: each column left out is time saved).
_NEAR = """
CALL db.idx.fulltext.queryNodes('Entity', $words) YIELD node AS n, score
WHERE n.type = $type
WITH n, score ORDER BY score DESC LIMIT $limit
RETURN id(n) AS id, n.uuid AS uuid, n.name AS name, n.norm_name AS norm
"""
_BLOCKED = "MATCH (b:Blocked) RETURN b.norm"
_OLD = "MATCH (:Episode {uuid: $uuid})-[:MENTIONS]->(n:Entity) RETURN n.uuid"
# One query, so it is atomic: a worker killed mid-write leaves all of it or none of it.
# An entity is its normalised name and type: MERGE on those, not on the uuid resolution
# proposed, so two workers that both met a new "Sarah" at once file one node (FalkorDB runs
# a graph's write queries one at a time). The proposed uuid is used only when it creates.
# A known entity named another way ("Whitfield" for Dana Whitfield) keeps that name in
# ``written_as``, once.
_WRITE = """
MATCH (ep:Episode {uuid: $uuid})
OPTIONAL MATCH (ep)-[old:MENTIONS]->()
DELETE old
WITH DISTINCT ep
UNWIND $rows AS row
MERGE (n:Entity {norm_name: row.norm, type: row.type})
  ON CREATE SET n.uuid = row.uuid, n.name = row.name, n.journal = $journal
WITH ep, n, row, [w IN row.written_as WHERE NOT w IN coalesce(n.written_as, [])] AS added
FOREACH (_ IN CASE WHEN size(added) > 0 THEN [1] ELSE [] END |
  SET n.written_as = coalesce(n.written_as, []) + added)
WITH ep, n, row, n.name AS was, n.norm_name AS was_norm
FOREACH (_ IN CASE WHEN row.fuller IS NULL THEN [] ELSE [1] END |
  SET n.name = row.fuller, n.norm_name = row.fuller_norm,
      n.aliases = coalesce(n.aliases, []) + [was],
      n.alias_norms = coalesce(n.alias_norms, []) + [was_norm])
MERGE (ep)-[:MENTIONS]->(n)
"""
_DROP_ORPHANS = """
MATCH (n:Entity) WHERE n.uuid IN $uuids AND NOT ()-[:MENTIONS]->(n)
DELETE n
"""


@dataclass(frozen=True)
class Known:
    """An entity the journal already has. ``aliases`` are the names it was known by before
    the user merged or renamed it, or before an entry named the person in full
    (``Mention.fuller``), and ``alias_norms`` their normalised forms: an entry that uses one
    of them means this entity."""

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
    fuller: bool = False
    """The entry names a known person more fully than the journal does ("Oskar Berg" for
    "Oskar"): the entity takes ``name``, and its old name becomes an alias."""


def entry_content(episode_uuid: str, journal: str) -> str | None:
    """The entry's text, or None when it was deleted."""
    rows = select_graph(journal).ro_query(_CONTENT, {"uuid": episode_uuid}).result_set
    return rows[0][0] if rows else None


def known_entities(journal: str) -> list[Known]:
    """Every entity of the journal, as the user last corrected it: a read of the whole
    journal, for checks (the tests compare the indexed lookups with it), never for reading
    an entry (``named_in``, ``candidates_for``)."""
    rows = select_graph(journal).ro_query(_KNOWN).result_set
    return [
        Known(uuid, name, norm, kind, tuple(aliases), tuple(alias_norms))
        for uuid, name, norm, kind, aliases, alias_norms in rows
    ]


NEAR_LIMIT = 25
"""At most this many near names are considered for one extracted name (the best full-text
matches): resolution's fuzzy tier scores them, and asks the model about five at most."""

RUNS_PER_QUERY = 2_000
"""Word runs looked up per query: a long entry is looked up in several bounded queries."""


def _known(rows: list[list]) -> list[Known]:
    rows = sorted({row[0]: row for row in rows}.values())
    return [
        Known(uuid, name, norm, kind, tuple(aliases), tuple(alias_norms))
        for _, uuid, name, norm, kind, aliases, alias_norms in rows
    ]


def word_runs(text: str, longest: int = MAX_NAME_CHARS) -> list[str]:
    """Every run of consecutive words of ``text``, normalised, up to ``longest`` characters:
    each name the text holds as whole words is one of them. Names are cut at
    ``MAX_NAME_CHARS``; the rare name that folding makes longer still ("ß" → "ss" in a name
    of 60 characters) is not recognised in the text, but still resolves by its exact name."""
    words = normal_name(text).split()
    runs: set[str] = set()
    for start in range(len(words)):
        run = words[start]
        end = start + 1
        while len(run) <= longest:
            runs.add(run)
            if end == len(words):
                break
            run = f"{run} {words[end]}"
            end += 1
    return sorted(runs)


def named_in(journal: str, text: str) -> list[Known]:
    """The entities whose name or alias occurs in ``text`` (as whole words, any case): what
    the extractor is told the journal already knows. Each run of the text's words is looked
    up by exact normalised name, so the cost follows the text, not the journal."""
    runs = word_runs(text)
    graph = select_graph(journal)
    rows = []
    for start in range(0, len(runs), RUNS_PER_QUERY):
        chunk = runs[start : start + RUNS_PER_QUERY]
        rows += graph.ro_query(_NAMED, {"norms": chunk}).result_set
    return _known(rows)


def _near_query(norm: str) -> str:
    """A full-text query for names near ``norm``: any of its words as written, within a typo
    (a letter changed, added or left out, or two letters swapped), as the start of a longer
    word ("priya" → "priyanka"), or cut short to a word of its own ("maryann" → "mary"). The
    one word of a one-word name, when of six letters or more, is looked for within two typos:
    nothing else in the name narrows it down. ``norm`` holds only word characters and spaces:
    nothing to escape.

    Two typos are not asked of the words of longer names: the index expands such a term to
    every word of the journal within two edits, which in a journal of thousands of names was
    most of the search's time (``bench/near_names.py``: 1.2 → 0.9 ms a new name at 10,000
    entities), and their other words find the names that share them. Two swapped letters are
    two edits to the index, so they are sent as words of their own."""
    words = norm.split()
    terms: list[str] = []
    for word in words:
        terms.append(word)
        if len(word) >= 6 and len(words) == 1:
            terms.append(f"%%{word}%%")
        elif len(word) >= 2:
            terms.append(f"%{word}%")
            terms.extend(_swapped(word))
        if len(word) >= 3:
            terms.append(f"{word}*")
        terms.extend(word[:end] for end in range(3, len(word) - 1))
    return " | ".join(dict.fromkeys(terms))


def _swapped(word: str) -> list[str]:
    """``word`` with two neighbouring letters swapped, each way it can be ("sharma" →
    "hsarma", "sahrma", ...): a typo the one-edit search misses."""
    return [
        f"{word[:at]}{word[at + 1]}{word[at]}{word[at + 2 :]}"
        for at in range(len(word) - 1)
        if word[at] != word[at + 1]
    ]


def candidates_for(journal: str, norm: str, kind: str) -> list[Known]:
    """The entities an extracted name (normalised: ``norm``) may mean: every one whose name
    or alias is ``norm``, of any type; or, when there is none, the ``NEAR_LIMIT`` names of
    type ``kind`` nearest to it by the name index (an exact name is resolution's first tier:
    near names would not be looked at), with their names only: resolution compares those.
    Resolution's tiers choose among them."""
    graph = select_graph(journal)
    exact = graph.ro_query(_NAMED, {"norms": [norm]}).result_set
    if exact or not norm.split():
        return _known(exact)
    params = {"words": _near_query(norm), "type": kind, "limit": NEAR_LIMIT}
    rows = graph.ro_query(_NEAR, params).result_set
    return _known([[*row, kind, [], []] for row in rows])


def blocked_norms(journal: str) -> frozenset[str]:
    """The normalised names the user blocked: extraction never files them in this journal."""
    return frozenset(row[0] for row in select_graph(journal).ro_query(_BLOCKED).result_set)


def file_mentions(episode_uuid: str, journal: str, mentions: list[Mention]) -> None:
    """Replace the entry's mentions with ``mentions`` (creating new entities), then drop the
    entities its previous run filed that nothing mentions any more. Idempotent.

    An entity the entry names another way than the journal does (a first name, a surname, a
    typo resolution matched) keeps that name in ``written_as``: the entity's page quotes the
    sentence that uses it, and the entry marks it, where they would otherwise find no name of
    the entity in the entry. Never matched by: resolution reads names and aliases only, so a
    short form is asked about again in the next entry that uses it.

    A person the entry names more fully (``Mention.fuller``: "Oskar Berg" for "Oskar") is
    called that from now on, and the old name becomes an alias: the entries that said "Oskar"
    still mean this Oskar, and a later "Oskar Lund" is told apart from "Oskar Berg" by his
    surname, where "Oskar" alone would have been a question to the model."""
    graph = select_graph(journal)
    old = [row[0] for row in graph.ro_query(_OLD, {"uuid": episode_uuid}).result_set]
    graph.query(_WRITE, {"uuid": episode_uuid, "journal": journal, "rows": _rows(mentions)})
    if old:
        graph.query(_DROP_ORPHANS, {"uuids": old})


def _rows(mentions: list[Mention]) -> list[dict[str, Any]]:
    """One row per entity, with the names the entry used for it that are not its own."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for m in mentions:
        row = rows.setdefault(
            (m.norm, m.type),
            {
                "uuid": m.uuid,
                "name": m.name,
                "norm": m.norm,
                "type": m.type,
                "written_as": [],
                "fuller": None,
                "fuller_norm": None,
            },
        )
        if m.fuller and row["fuller"] is None:
            row["fuller"], row["fuller_norm"] = m.name, normal_name(m.name)
        elif normal_name(m.name) != m.norm and m.name not in row["written_as"]:
            row["written_as"].append(m.name)
    return list(rows.values())

"""``extract_nodes``: one episode's entities, extracted, resolved and written to its graph."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import dspy

from charlie_inference import EntityMatcher, load_extractor

from ..database.lifecycle import select_graph
from ..database.redis_ops import PENDING, set_episode_status
from ..manager import get_model
from .resolution import Known, resolve

RETRY_TEMPERATURE = 0.7

_CONTENT = "MATCH (e:Episode {uuid: $uuid}) RETURN e.content"
_KNOWN = "MATCH (n:Entity) RETURN n.uuid, n.name, n.norm_name, n.type"
_OLD = "MATCH (:Episode {uuid: $uuid})-[:MENTIONS]->(n:Entity) RETURN n.uuid"
# One query, so it is atomic: a worker killed mid-write leaves all of it or none of it.
_WRITE = """
MATCH (ep:Episode {uuid: $uuid})
OPTIONAL MATCH (ep)-[old:MENTIONS]->()
DELETE old
WITH DISTINCT ep
UNWIND $rows AS row
MERGE (n:Entity {uuid: row.uuid})
  ON CREATE SET n.name = row.name, n.norm_name = row.norm, n.type = row.type, n.journal = $journal
MERGE (ep)-[:MENTIONS]->(n)
"""
_DROP_ORPHANS = """
MATCH (n:Entity) WHERE n.uuid IN $uuids AND NOT ()-[:MENTIONS]->(n)
DELETE n
"""


class EpisodeNotFoundError(LookupError):
    """The episode was deleted before the worker reached it."""


@dataclass(frozen=True)
class ExtractResult:
    episode_uuid: str
    extracted_count: int
    new_entities: int
    resolved_count: int

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def _model_for(attempt: int) -> dspy.LM:
    lm = get_model("llm")
    # A retry after unusable output samples differently instead of repeating the same answer.
    return lm if attempt == 0 else lm.copy(temperature=RETRY_TEMPERATURE, seed=attempt)


def extract_nodes(episode_uuid: str, journal: str, attempt: int = 0) -> ExtractResult:
    """Extract, resolve and store the entities of one episode; idempotent on re-runs."""
    graph = select_graph(journal)
    rows = graph.ro_query(_CONTENT, {"uuid": episode_uuid}).result_set
    if not rows:
        raise EpisodeNotFoundError(episode_uuid)
    content = rows[0][0]
    lm = _model_for(attempt)
    extractor = load_extractor()
    matcher = EntityMatcher()
    with dspy.context(lm=lm):
        entities = extractor(text=content).entities

        def ask(name: str, candidates: list[str]) -> str | None:
            return matcher(name=name, entry=content, candidates=candidates).match

        known = [Known(*row) for row in graph.ro_query(_KNOWN).result_set]
        resolved = resolve(entities, known, ask)
    try:
        set_episode_status(episode_uuid, PENDING, uuid_map={r.name: r.uuid for r in resolved})
    except ValueError as exc:  # its hash is gone: the entry was deleted while being read
        raise EpisodeNotFoundError(episode_uuid) from exc
    old = [row[0] for row in graph.ro_query(_OLD, {"uuid": episode_uuid}).result_set]
    graph.query(
        _WRITE,
        {
            "uuid": episode_uuid,
            "journal": journal,
            "rows": [
                {"uuid": r.uuid, "name": r.name, "norm": r.norm, "type": r.type} for r in resolved
            ],
        },
    )
    if old:
        graph.query(_DROP_ORPHANS, {"uuids": old})
    new = sum(r.is_new for r in resolved)
    return ExtractResult(episode_uuid, len(resolved), new, len(resolved) - new)

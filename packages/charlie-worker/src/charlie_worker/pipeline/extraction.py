"""``extract_nodes``: one entry's entities, extracted, resolved and filed in its graph, as the
user's corrections say: the journal's names (aliases included) keep their corrected types, an
alias resolves to its entity, and a blocked name is never filed. A long entry is read chunk by
chunk (``chunked_reading``): one unusable chunk leaves the rest filed and is named."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial

import dspy

from charlie_inference import EntityMatcher, load_extractor, normalize_name
from charlie_worker.store.entities import (
    blocked_norms,
    candidates_for,
    entry_content,
    file_mentions,
    named_in,
)
from charlie_worker.store.episode_state import PENDING, set_episode_status

from .chunked_reading import read_in_chunks
from .manager import get_model
from .resolution import resolve

RETRY_TEMPERATURE = 0.7


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
    content = entry_content(episode_uuid, journal)
    if content is None:
        raise EpisodeNotFoundError(episode_uuid)
    extractor = load_extractor()
    matcher = EntityMatcher()
    blocked = blocked_norms(journal)
    # The journal's names found in this entry only, never the whole journal's.
    names = {name: kind for k in named_in(journal, content) for name, kind in k.names().items()}
    # The journal's memory first: a name it already knows is found and keeps its type. An
    # entry whose every name is typed without the model does not load it (nor wait for it).
    lm = _model_for(attempt) if extractor.needs_model(content, names) else None
    with dspy.context(lm=lm):
        reading = read_in_chunks(extractor, episode_uuid, content, names)
    if reading.read_nothing():
        raise reading.unreadable[0][1]
    entities = [e for e in reading.entities if normalize_name(e.name) not in blocked]

    def ask(name: str, candidates: list[str]) -> str | None:
        needs = lm is None and matcher.needs_model(name, content, candidates)
        with dspy.context(lm=_model_for(attempt) if needs else lm):
            return matcher(name=name, entry=content, candidates=candidates).match

    resolved = resolve(entities, partial(candidates_for, journal), ask)
    try:
        set_episode_status(episode_uuid, PENDING, uuid_map={r.name: r.uuid for r in resolved})
    except ValueError as exc:  # its hash is gone: the entry was deleted while being read
        raise EpisodeNotFoundError(episode_uuid) from exc
    file_mentions(episode_uuid, journal, resolved)
    if problem := reading.problem(content):
        raise problem  # what was read is filed; the entry says which part could not be
    new = sum(r.is_new for r in resolved)
    return ExtractResult(episode_uuid, len(resolved), new, len(resolved) - new)

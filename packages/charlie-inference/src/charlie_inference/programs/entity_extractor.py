"""The entity extractor: journal text in, typed people/places/organizations/things out.

Small local models loop and invent, and a 135M model asked to *write* a list of names and
types does both. So the names come from the text, deterministically
(``candidates.find_candidates``: capitalised spans, titles, kinship words, the names the
journal already knows), and most types too: a known name keeps the journal's type, a title
or kinship word makes a Person, a head noun a Place or Organization ("Mill Road", "Halcyon
Bank"), a context cue the rest it can ("in Lagos", "with Priya": ``cues``). The model only
types what is left: for each such candidate it picks None, Person, Place, Organization or
Thing, and the JSON schema of its answer (enforced by llama.cpp as a grammar) holds exactly
those candidates and those choices. Candidates the model is poor at (a bare sentence-initial
word, shouting, hashtags: ``candidates.worth_asking``) are not asked about, and an entry
with nothing left to ask costs no model call.

The output is still cleaned, deduplicated and grounded in the text it came from.
``FreeformEntityExtractor`` is the previous program (the model writes the list), kept for
comparison in the benchmarks and in ``charlie-optimize eval --program freeform``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import dspy
import pydantic
from pydantic import BaseModel, Field

from ..remote import ModelServerError
from ..settings import ModelSettings
from .candidates import Candidate, find_candidates, worth_asking
from .cues import cue_type
from .names import normalize_name
from .prompt import StablePromptAdapter
from .sentences import pieces, trimmed

log = logging.getLogger(__name__)

EntityType = Literal["Person", "Place", "Organization", "Thing"]
ENTITY_TYPES: tuple[str, ...] = get_args(EntityType)
MAX_ENTITIES = 20
MAX_NAME_CHARS = 60
CHUNK_CHARS = 1200
MIN_CHUNK_CHARS = 64
"""A chunk this short whose prompt still overflows the context: the context is too small."""


class Entity(BaseModel):
    """One named thing in an entry."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
    type: EntityType


class ExtractEntities(dspy.Signature):
    """List the people, places, organizations and notable things named in a journal entry.

    Use each name exactly as written in the entry, once. Types: Person, Place, Organization, Thing.
    """

    text: str = dspy.InputField(desc="a journal entry")
    entities: Annotated[list[Entity], Field(max_length=MAX_ENTITIES)] = dspy.OutputField(
        desc="the named entities in the entry"
    )


class ExtractionError(ValueError):
    """The model's output could not be used (unparseable, truncated, or too long a prompt)."""


class ProgramStateError(RuntimeError):
    """The optimized program state file exists but cannot be loaded."""


def _unusable(exc: Exception) -> Exception:
    """What a failed model call means: a model server outage (not the entry's fault: the
    worker waits and reads it again), else unusable output. DSPy wraps whatever an engine
    raises (``LMUnexpectedError``), so the outage is looked for down the cause chain."""
    if (outage := _outage(exc)) is not None:
        return ModelServerError(str(outage))  # a new one: chaining the cause makes a cycle
    return ExtractionError(f"the model's answer was unusable: {exc}")


class ContextWindowError(RuntimeError):
    """The context window cannot hold the prompt and answer even for a short piece of text.

    A configuration problem (``CHARLIE_LLM_N_CTX`` too small for the program), not the
    entry's fault: the entry must not be marked failed for it.
    """


def _outage(exc: BaseException) -> ModelServerError | None:
    """The model server's outage behind a failed call, found down the cause chain (and the
    context: a cycle-safe walk)."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ModelServerError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def clean_entities(entities: list[Entity], text: str, limit: int = MAX_ENTITIES) -> list[Entity]:
    """Trim, dedupe (first type wins), keep only names that occur in the text, bound the list."""
    haystack = f" {normalize_name(text)} "
    seen: set[str] = set()
    kept: list[Entity] = []
    for entity in entities:
        name = entity.name.strip().strip("\"'.,;:!?()[]{}").strip()
        key = normalize_name(name)
        if not key or key in seen or f" {key} " not in haystack:
            continue
        seen.add(key)
        kept.append(Entity(name=name, type=entity.type))
        if len(kept) == limit:
            break
    return kept


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of an entry the context holds: ``text`` is ``entry[start:end]``."""

    start: int
    end: int
    text: str


def chunks_of(text: str, size: int = CHUNK_CHARS) -> list[Chunk]:
    """Split at paragraph, then sentence, then word boundaries into pieces the context holds,
    each with where it sits in ``text`` (so a part that could not be read can be named)."""
    chunks: list[Chunk] = []
    first = last = -1  # the span being gathered into a chunk; -1: none yet

    def close(start: int, end: int) -> None:
        if start >= 0:
            chunks.append(Chunk(start, end, text[start:end]))

    for start, end in pieces(text):
        while end - start > size:  # one enormous sentence: cut at a space
            cut = text.rfind(" ", start, start + size)
            cut = cut if cut > start else start + size
            close(first, last)
            close(*trimmed(text, start, cut))
            first = last = -1
            start = trimmed(text, cut, end)[0]
        if first >= 0 and end - first > size:
            close(first, last)
            first = -1
        first, last = (start if first < 0 else first), end
    close(first, last)
    return chunks


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """The texts of ``chunks_of(text, size)``."""
    return [chunk.text for chunk in chunks_of(text, size)]


class FreeformEntityExtractor(dspy.Module):
    """The previous program: the model writes the list of names and types itself.

    ``extractor(text=...)`` → ``Prediction(entities=[Entity, ...])`` via the JSON adapter.
    """

    def __init__(self) -> None:
        super().__init__()
        self.extract = dspy.Predict(ExtractEntities)

    def forward(self, text: str) -> dspy.Prediction:
        found: list[Entity] = []
        with dspy.context(adapter=dspy.JSONAdapter()):
            for chunk in chunks_of(text):
                found.extend(self._read(chunk.text))
        return dspy.Prediction(entities=clean_entities(found, text))

    def _read(self, chunk: str) -> list[Entity]:
        """The entities of one chunk. Chunks are sized in characters and a character can be
        several tokens (CJK, emoji): a chunk the context cannot hold is read in halves."""
        try:
            return list(self.extract(text=chunk).entities)
        except dspy.ContextWindowExceededError as exc:
            halves = chunk_text(chunk, size=max(MIN_CHUNK_CHARS, len(chunk) // 2 + 1))
            if len(chunk) <= MIN_CHUNK_CHARS or len(halves) < 2:
                detail = str(exc).split("\n\n", 1)[0]
                raise ContextWindowError(
                    f"The model's context window is too small for the extraction prompt "
                    f"({detail}). Raise CHARLIE_LLM_N_CTX (default 2048)."
                ) from exc
            return [entity for half in halves for entity in self._read(half)]
        except Exception as exc:  # adapters raise several types; all mean unusable output
            raise _unusable(exc) from exc


Choice = Literal["None", "Person", "Place", "Organization", "Thing"]
CHOICES: tuple[str, ...] = get_args(Choice)
NOT_AN_ENTITY = "None"
MAX_ASKED = 12
"""Most candidates typed in one model call; more are asked in further calls."""

KnownNames = Mapping[str, str | None]


class TypeCandidates(dspy.Signature):
    """Say what each candidate from a journal entry names, as it is used in the entry.

    Person: someone, by name or title ("Priya", "Dr. Okafor"). Place: a city, country, area,
    street or venue ("Lagos", "Mill Road", "the Blue Door"). Organization: a company,
    bank, school, agency, team or website ("Stripe", "Monzo"). Thing: a product, book,
    film, game, holiday or event ("Kindle", "Christmas"). None: not a name at all, e.g. an
    ordinary word that starts a sentence ("Headache again", "Traffic was awful").
    """

    text: str = dspy.InputField(desc="a journal entry")
    candidates: list[str] = dspy.InputField(desc="capitalised words from the entry")
    types: dict[str, Choice] = dspy.OutputField(desc="each candidate with its type")


HAND_DEMOS = [
    dspy.Example(
        text="Sprint review with Priya. Stripe joined from Dublin. Tired but happy.",
        candidates=["Sprint", "Priya", "Stripe", "Dublin", "Tired"],
        types={
            "Sprint": "None",
            "Priya": "Person",
            "Stripe": "Organization",
            "Dublin": "Place",
            "Tired": "None",
        },
    ).with_inputs("text", "candidates"),
    dspy.Example(
        text="Walked to Soho with Marcus for dim sum. Booked flights on Expedia for Easter.",
        candidates=["Soho", "Marcus", "Expedia", "Easter"],
        types={
            "Soho": "Place",
            "Marcus": "Person",
            "Expedia": "Organization",
            "Easter": "Thing",
        },
    ).with_inputs("text", "candidates"),
]
"""Two hand-written demos: the default before any optimization (journal-like, not from the data)."""


def answer_model(candidates: list[str]) -> type[BaseModel]:
    """The answer's type for these candidates: one required field per candidate, in order.

    Its JSON schema (a grammar for llama.cpp) lets the model write only these names, each
    once, each with one of ``CHOICES``.
    """
    fields: dict[str, Any] = {name: (Choice, ...) for name in candidates}
    return pydantic.create_model(
        "CandidateTypes", __config__=pydantic.ConfigDict(extra="forbid"), **fields
    )


def _answers(types: Any) -> dict[str, str]:
    if isinstance(types, BaseModel):
        return {str(k): str(v) for k, v in types.model_dump().items()}
    if isinstance(types, Mapping):
        return {str(k): str(v) for k, v in types.items()}
    raise ExtractionError(f"the model's answer was not an object: {types!r}")


def _known_types(known: KnownNames | list[str] | None) -> dict[str, str | None]:
    if known is None:
        return {}
    if isinstance(known, Mapping):
        return {
            str(name): (kind if kind in ENTITY_TYPES else None)
            for name, kind in known.items()
            if str(name).strip()
        }
    return {str(name): None for name in known if str(name).strip()}


def typed_by_cue(text: str, candidate: Candidate) -> Candidate:
    """The candidate, typed by its context ("in Lagos", "Priya said") when that is clear."""
    if candidate.type is not None:
        return candidate
    kind = cue_type(text, candidate)
    if kind is None:
        return candidate
    return Candidate(candidate.name, candidate.start, candidate.end, candidate.source, kind)


def typed_candidates(text: str, known: KnownNames | None = None) -> list[Candidate]:
    """The candidates of ``text``, typed by shape, memory or cue where possible, without
    those not worth asking the model about: what the model then sees."""
    candidates = [typed_by_cue(text, c) for c in find_candidates(text, known)]
    return [c for c in candidates if c.type is not None or worth_asking(text, c)]


def asked_candidates(text: str, known: KnownNames | None = None) -> list[Candidate]:
    """The candidates the model is asked to type."""
    return [c for c in typed_candidates(text, known) if c.type is None]


class EntityExtractor(dspy.Module):
    """``extractor(text=..., known=None)`` → ``Prediction(entities=[Entity, ...])``.

    Candidates come from the text (and ``known``: names the journal already has, mapped to
    their type, or to None when the model should type them); the model types the rest.
    """

    def __init__(self) -> None:
        super().__init__()
        self.classify = dspy.Predict(TypeCandidates)
        self.classify.demos = [demo.copy() for demo in HAND_DEMOS]

    def forward(self, text: str, known: KnownNames | list[str] | None = None) -> dspy.Prediction:
        known_types = _known_types(known)
        found: list[Entity] = []
        with dspy.context(adapter=dspy.JSONAdapter()):
            for chunk in chunks_of(text):
                found.extend(self._read(chunk.text, known_types))
        return dspy.Prediction(entities=clean_entities(found, text))

    def read_chunk(self, chunk: str, known: KnownNames | list[str] | None = None) -> list[Entity]:
        """The entities of one chunk of an entry (one of ``chunks_of(text)``), not yet
        cleaned: ``forward`` one chunk at a time, for a caller that keeps each chunk's result
        (the worker, so that a retry or a restart goes on from where it stopped and one bad
        chunk does not cost the others). ``clean_entities`` of their union against the whole
        text is then what ``forward`` returns. Raises ExtractionError when the model's
        answer for this chunk is unusable."""
        with dspy.context(adapter=dspy.JSONAdapter()):
            return self._read(chunk, _known_types(known))

    def needs_model(self, text: str, known: KnownNames | list[str] | None = None) -> bool:
        """Whether reading ``text`` asks the model anything: not when every candidate is
        typed by its shape, the journal's memory or a cue, so the caller need not load it."""
        known_types = _known_types(known)
        return any(asked_candidates(chunk, known_types) for chunk in chunk_text(text))

    def _read(self, chunk: str, known: dict[str, str | None]) -> list[Entity]:
        candidates = typed_candidates(chunk, known)
        asked = [c for c in candidates if c.type is None]
        types: dict[str, str] = {}
        for start in range(0, len(asked), MAX_ASKED):
            batch = [c.name for c in asked[start : start + MAX_ASKED]]
            answer = self._classify(chunk, batch)
            if answer is None:  # the context could not hold even a short chunk's prompt
                return self._read_halves(chunk, known)
            types.update(answer)
        entities = []
        for candidate in candidates:
            kind = candidate.type or types.get(candidate.name, NOT_AN_ENTITY)
            if kind in ENTITY_TYPES:
                entities.append(Entity(name=candidate.name[:MAX_NAME_CHARS], type=kind))
        return entities

    def _classify(self, chunk: str, names: list[str]) -> dict[str, str] | None:
        """The model's type for each name, or None when the prompt overflows the context."""
        signature = self.classify.signature.with_updated_fields("types", type_=answer_model(names))
        try:
            with dspy.context(adapter=StablePromptAdapter(TypeCandidates)):
                answer = self.classify(text=chunk, candidates=names, signature=signature)
        except dspy.ContextWindowExceededError as exc:
            self._overflow = exc
            return None
        except Exception as exc:  # adapters raise several types; all mean unusable output
            raise _unusable(exc) from exc
        return _answers(answer.types)

    def _read_halves(self, chunk: str, known: dict[str, str | None]) -> list[Entity]:
        """Chunks are sized in characters and a character can be several tokens (CJK,
        emoji): a chunk the context cannot hold is read in halves."""
        halves = chunk_text(chunk, size=max(MIN_CHUNK_CHARS, len(chunk) // 2 + 1))
        if len(chunk) <= MIN_CHUNK_CHARS or len(halves) < 2:
            detail = str(getattr(self, "_overflow", "")).split("\n\n", 1)[0]
            raise ContextWindowError(
                f"The model's context window is too small for the extraction prompt "
                f"({detail}). Raise CHARLIE_LLM_N_CTX (default 2048)."
            )
        return [entity for half in halves for entity in self._read(half, known)]


def shipped_state_path() -> Path:
    """The optimized state shipped with charlie-inference (applied when the user has none)."""
    shipped = resources.files("charlie_inference.programs") / "shipped"
    return Path(str(shipped / "entity_extractor.json"))


def _is_for_this_program(path: Path) -> bool:
    """A state saved from the previous (free-form) program has no ``classify`` predictor."""
    import json

    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # let the load report it
    return not isinstance(state, dict) or "classify" in state or "extract" not in state


def _apply(extractor: dspy.Module, path: Path) -> None:
    try:
        extractor.load(str(path))
    except Exception as exc:
        raise ProgramStateError(
            f"Cannot load the optimized program at {path}: {exc}. Re-run charlie-optimize, "
            "delete the file, or point CHARLIE_LLM_PROGRAM_STATE elsewhere."
        ) from exc


def load_extractor(settings: ModelSettings | None = None) -> EntityExtractor:
    """The extractor with the user's optimized state applied when that file exists, else the
    state shipped with Charlie (if any).

    A state saved for the previous, free-form program does not fit this one: it is skipped
    with a warning (the shipped state applies) rather than failing every entry.
    """
    settings = settings or ModelSettings()
    extractor = EntityExtractor()
    path: Path = settings.program_state
    if path.exists():
        if _is_for_this_program(path):
            _apply(extractor, path)
            return extractor
        log.warning(
            "Ignoring %s: it was optimized for Charlie's previous extraction program. "
            "Re-run charlie-optimize to optimize the current one.",
            path,
        )
    shipped = shipped_state_path()
    if shipped.is_file():
        _apply(extractor, shipped)
    return extractor


def load_freeform_extractor(settings: ModelSettings | None = None) -> FreeformEntityExtractor:
    """The previous program, with a state saved for it applied when ``settings`` names one."""
    settings = settings or ModelSettings()
    extractor = FreeformEntityExtractor()
    path: Path = settings.program_state
    if path.exists() and not _is_for_this_program(path):
        _apply(extractor, path)
    return extractor

"""The entity extractor: journal text in, typed people/places/organizations/things out.

Small local models loop and invent; the guards here are structural: the JSON
schema bounds the list and the names (and llama.cpp enforces it as a grammar),
and the output is cleaned, deduplicated and grounded in the text it came from.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal

import dspy
from pydantic import BaseModel, Field

from ..settings import ModelSettings

EntityType = Literal["Person", "Place", "Organization", "Thing"]
ENTITY_TYPES: tuple[str, ...] = ("Person", "Place", "Organization", "Thing")
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


class ContextWindowError(RuntimeError):
    """The context window cannot hold the prompt and answer even for a short piece of text.

    A configuration problem (``CHARLIE_LLM_N_CTX`` too small for the program), not the
    entry's fault: the entry must not be marked failed for it.
    """


def normalize_name(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a name, for matching."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


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


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Split at paragraph, then sentence, then word boundaries into pieces the context holds."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    pieces = re.split(r"(?<=\n)\s*\n|(?<=[.!?])\s+", text)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > size:  # one enormous sentence: cut at a space
            cut = piece.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            chunks.extend(c for c in (current, piece[:cut].strip()) if c)
            current, piece = "", piece[cut:].strip()
        if current and len(current) + 1 + len(piece) > size:
            chunks.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    if current:
        chunks.append(current)
    return chunks


class EntityExtractor(dspy.Module):
    """``extractor(text=...)`` → ``Prediction(entities=[Entity, ...])`` via the JSON adapter."""

    def __init__(self) -> None:
        super().__init__()
        self.extract = dspy.Predict(ExtractEntities)

    def forward(self, text: str) -> dspy.Prediction:
        found: list[Entity] = []
        with dspy.context(adapter=dspy.JSONAdapter()):
            for chunk in chunk_text(text):
                found.extend(self._read(chunk))
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
            raise ExtractionError(f"the model's answer was unusable: {exc}") from exc


def load_extractor(settings: ModelSettings | None = None) -> EntityExtractor:
    """The extractor with the optimized state from settings applied, when that file exists."""
    settings = settings or ModelSettings()
    extractor = EntityExtractor()
    path: Path = settings.program_state
    if path.exists():
        try:
            extractor.load(str(path))
        except Exception as exc:
            raise ProgramStateError(
                f"Cannot load the optimized program at {path}: {exc}. Re-run charlie-optimize, "
                "delete the file, or point CHARLIE_LLM_PROGRAM_STATE elsewhere."
            ) from exc
    return extractor

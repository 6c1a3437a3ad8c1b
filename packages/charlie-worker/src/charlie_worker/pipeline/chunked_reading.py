"""Reading an entry chunk by chunk, keeping each chunk's result as it goes.

A long entry is many model calls (about 84 chunks for 100,000 characters). Each chunk's
result is kept in the entry's hash (``store.chunk_progress``) as soon as it is read, so a
retry, or a worker restarted after a crash, reads only the chunks not read yet; and a chunk
whose answer is unusable does not cost the others: they are read and filed, and the entry
says which part could not be read (``PartlyReadError``).
"""

from __future__ import annotations

from dataclasses import dataclass

from charlie_inference import (
    Chunk,
    Entity,
    EntityExtractor,
    ExtractionError,
    chunks_of,
    clean_entities,
)
from charlie_worker.store import worker_state
from charlie_worker.store.chunk_progress import save_chunk, saved_chunks


class PartlyReadError(ExtractionError):
    """Some chunks of an entry stayed unusable; what the others found is filed."""


@dataclass(frozen=True)
class ChunkedReading:
    """What the chunks read found (cleaned against the whole text), and the chunks whose
    answer was unusable with why."""

    entities: list[Entity]
    unreadable: list[tuple[Chunk, ExtractionError]]
    chunks: int

    def read_nothing(self) -> bool:
        return len(self.unreadable) == self.chunks > 0

    def problem(self, text: str) -> PartlyReadError | None:
        """Which part could not be read, in the user's words; None when all was read."""
        if not self.unreadable:
            return None
        chunks = sorted((chunk for chunk, _ in self.unreadable), key=lambda chunk: chunk.start)
        spans = " and ".join(_span(start, end) for start, end in _merged(chunks, text))
        return PartlyReadError(
            f"characters {spans} of {len(text):,} could not be read (the rest is read and "
            f"filed): {self.unreadable[0][1]}"
        )


def read_in_chunks(
    extractor: EntityExtractor,
    episode_uuid: str,
    text: str,
    known: dict[str, str | None],
) -> ChunkedReading:
    """Read each chunk of the entry once: chunks read before (by an earlier attempt, or a
    worker that died) are taken as they were found; a chunk whose answer is unusable is left
    for the next attempt and the others are read. Errors that are not the entry's fault
    (a model that cannot load, a server that is down) stop the reading; what was read stays.
    An entry of one chunk keeps nothing in redis: it is read or not."""
    chunks = chunks_of(text)
    keep = len(chunks) > 1
    saved = saved_chunks(episode_uuid, [chunk.text for chunk in chunks]) if keep else {}
    found: list[Entity] = []
    unreadable: list[tuple[Chunk, ExtractionError]] = []
    for number, chunk in enumerate(chunks, 1):
        if (before := saved.get(chunk.text)) is not None:
            found.extend(Entity.model_validate({"name": n, "type": t}) for n, t in before)
            continue
        if keep:
            worker_state.reading_part(number, len(chunks))
        try:
            entities = extractor.read_chunk(chunk.text, known)
        except ExtractionError as exc:
            unreadable.append((chunk, exc))
            continue
        if keep:
            save_chunk(episode_uuid, chunk.text, [(e.name, e.type) for e in entities])
        found.extend(entities)
    return ChunkedReading(clean_entities(found, text), unreadable, len(chunks))


def _merged(chunks: list[Chunk], text: str) -> list[tuple[int, int]]:
    """The character spans of ``chunks`` (in order), neighbours joined."""
    spans: list[tuple[int, int]] = []
    for chunk in chunks:
        if spans and not text[spans[-1][1] : chunk.start].strip():
            spans[-1] = (spans[-1][0], chunk.end)
        else:
            spans.append((chunk.start, chunk.end))
    return spans


def _span(start: int, end: int) -> str:
    """Characters as a person counts them: from 1, both ends included."""
    return f"{start + 1:,} to {end:,}"

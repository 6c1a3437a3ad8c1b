"""Test graphs seeded through the real write path, never hand-written Cypher that can drift.

``read_as`` files what the worker files once the model has answered: the names resolved
against the journal (``pipeline.resolution.resolve``, without the model's judgement) and
written by ``store.entities.file_mentions``; then the entry is done, as after a real read.
"""

from __future__ import annotations

from functools import partial

from charlie_inference import Entity
from charlie_worker.pipeline.resolution import resolve
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.entities import Mention, candidates_for, file_mentions
from charlie_worker.store.entries import add_entry
from charlie_worker.store.episode_state import remove_episode_from_queue


def read_as(
    episode_uuid: str, *entities: tuple[str, str], journal: str = DEFAULT_JOURNAL
) -> list[Mention]:
    """File ``(name, type)`` pairs for an entry as the worker would, and mark it read."""
    found = [Entity(name=name, type=kind) for name, kind in entities]
    mentions = resolve(found, partial(candidates_for, journal))
    file_mentions(episode_uuid, journal, mentions)
    remove_episode_from_queue(episode_uuid)
    return mentions


def read_entry_as(text: str, *entities: tuple[str, str], journal: str = DEFAULT_JOURNAL) -> str:
    """Save an entry and file ``entities`` for it as a finished read; returns its uuid."""
    episode_uuid = add_entry(text, journal)
    read_as(episode_uuid, *entities, journal=journal)
    return episode_uuid


BACKLOG_TEXTS = [
    "Had coffee with Sarah at the Blue Bottle cafe in London.",
    "Sarah and Tom went hiking in the Alps.",
    "Meeting at Acme Corp with Tom about the new project.",
    "Called Mum in Paris; she misses London.",
    "Tom fixed my bike before the race.",
    "Dinner with Priya and Sarah at Nando's.",
    "Acme Corp announced layoffs; Priya is worried.",
    "Walked the dog, Biscuit, along the Thames with Sarah.",
]
"""A backlog of everyday entries that share people and places: the crash tests read it."""

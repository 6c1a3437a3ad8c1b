"""Bringing many entries in at once: what is already there, and saving the rest as backlog.

An import must be safe to run twice: an entry with a source id (``dayone:<uuid>``) is already
there when an entry carries that id; one without is already there when an entry has the same
text at the same moment (to the millisecond). Saved entries are queued as backlog, newest
first, so anything the user writes meanwhile is still read at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from charlie_worker.settings import DEFAULT_JOURNAL

from .dates import aware, instant
from .entries import BULK_CHUNK, NewEntry, add_entries
from .queries import existing_dated_texts, existing_sources
from .queue import enqueue_backlog

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called with how many more entries were saved."""


def already_there(items: Sequence[NewEntry], journal: str = DEFAULT_JOURNAL) -> list[bool]:
    """For each item, whether the journal (or an earlier item of ``items``) already holds it."""
    sources = existing_sources([i.source_id for i in items if i.source_id], journal)
    dated = existing_dated_texts([i.content for i in items if not i.source_id], journal)
    seen_sources: set[str] = set()
    seen_dated: set[tuple[float, str]] = set()
    known = []
    for item in items:
        if item.source_id:
            known.append(item.source_id in sources or item.source_id in seen_sources)
            seen_sources.add(item.source_id)
        else:
            key = (instant(aware(item.date).timestamp()), item.content)
            known.append(key in dated or key in seen_dated)
            seen_dated.add(key)
    return known


def save_backlog(
    items: Sequence[NewEntry], journal: str = DEFAULT_JOURNAL, progress: Progress | None = None
) -> list[str]:
    """Save ``items`` (validated; EntryError otherwise) and queue their reading as backlog
    (newest first); returns their uuids in the order of ``items``.

    If queueing fails the entries stay pending: the worker queues them when it next starts.
    """
    uuids: list[str] = []
    for start in range(0, len(items), BULK_CHUNK):
        chunk = items[start : start + BULK_CHUNK]
        uuids.extend(add_entries(chunk, journal))
        if progress is not None:
            progress(len(chunk))
    dates = [aware(item.date).timestamp() for item in items]
    try:
        enqueue_backlog(list(zip(uuids, dates, strict=True)), journal)
    except Exception:
        logger.warning(
            "could not queue %d imported entries; they stay pending until the worker starts",
            len(uuids),
            exc_info=True,
        )
    return uuids

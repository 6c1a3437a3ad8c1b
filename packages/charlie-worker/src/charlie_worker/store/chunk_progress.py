"""What the worker found in each chunk of a long entry it has not finished: a retry or a
restart goes on from there instead of reading every chunk again.

A long entry is read in chunks (about 84 for 100,000 characters). Each chunk's result is a
field of the entry's own hash, ``episode:{uuid}``: ``chunk:<digest of the chunk's text>`` →
JSON ``[[name, type], ...]``. Living in that hash, the results go where it goes: deleted
with it when the entry is read or deleted (redis holds only entries still to read), kept
with it while the entry waits or has failed, so that ``r`` reads only the chunks that could
not be read. Keyed by the chunk's text, an edited entry reads again only the chunks whose
text changed; results of text the entry no longer holds are dropped when it is next read.
"""

from __future__ import annotations

import hashlib
import json
import logging

from .connection import get_redis
from .episode_state import episode_key
from .lua import lua

logger = logging.getLogger(__name__)

FIELD_PREFIX = "chunk:"

Found = list[tuple[str, str]]
"""The ``(name, type)`` of each entity found in a chunk."""

_SAVE = lua(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)
"""Only into a live hash: a chunk read after its entry was deleted must not bring it back."""


def chunk_field(text: str) -> str:
    """The field of the chunk ``text`` in its entry's hash."""
    return FIELD_PREFIX + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def saved_chunks(episode_uuid: str, texts: list[str]) -> dict[str, Found]:
    """What was found before in each of the entry's chunk ``texts`` that was read, by text.

    Results kept for text the entry no longer holds (it was edited) are dropped.
    """
    client = get_redis()
    key = episode_key(episode_uuid)
    wanted = {chunk_field(text): text for text in texts}
    kept = [field for field in client.hkeys(key) if field.startswith(FIELD_PREFIX)]
    if stale := [field for field in kept if field not in wanted]:
        client.hdel(key, *stale)
    fields = [field for field in kept if field in wanted]
    if not fields:
        return {}
    saved = {}
    for field, raw in zip(fields, client.hmget(key, fields), strict=True):
        if (found := _decode(raw)) is not None:
            saved[wanted[field]] = found
        else:
            logger.warning("episode %s: unreadable chunk result %s, reading it again", key, field)
    return saved


def save_chunk(episode_uuid: str, text: str, found: Found) -> bool:
    """Keep what was found in the chunk ``text``; False when the entry is gone (deleted)."""
    value = json.dumps([[name, kind] for name, kind in found], ensure_ascii=False)
    key = episode_key(episode_uuid)
    return bool(_SAVE([key], [chunk_field(text), value], get_redis()))


def _decode(raw: str | None) -> Found | None:
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
        for pair in value
    ):
        return None
    return [(name, kind) for name, kind in value]

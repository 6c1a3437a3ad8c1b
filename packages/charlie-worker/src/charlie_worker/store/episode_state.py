"""Episode status in redis: which entries still wait for the worker.

One hash per episode still to process, ``episode:{uuid}`` with fields ``status``,
``journal``, ``created_at`` (epoch seconds, set once), optional ``uuid_map`` (JSON),
``processing_since`` (the worker has started on it) and ``error`` (why it failed).
A finished episode's hash is deleted: history lives in the graph, so scanning stays bounded
by the backlog. A failed episode keeps its hash so the user can retry it.

Multi-field updates run as small Lua scripts: atomic, so a status update racing a removal
can never leave a half-hash (status without journal) that recovery would choke on. The same
script keeps two sets of uuids, waiting (``WAITING_KEY``) and failed (``FAILED_KEY``), so the
UI counts the backlog in O(1), and records the change in the change log (``changes``), so the
UI refreshes only the entries that moved: neither ever scans the hashes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis
from redis.commands.core import Script

from charlie_worker.settings import validate_journal

from .changes import LOG_KEY, RECORD_LUA, STATE, VERSION_KEY
from .connection import get_redis
from .lua import lua

logger = logging.getLogger(__name__)

PENDING = "pending_nodes"
FAILED = "failed"
KEY_PREFIX = "episode:"
LEASE_PREFIX = "charlie:lease:"
"""``charlie:lease:<worker id>`` exists (with a short TTL) while that worker is alive."""
WAITING_KEY = "charlie:episodes:waiting"
"""The uuids of the episodes whose status is pending (waiting, or being read)."""
FAILED_KEY = "charlie:episodes:failed"
"""The uuids of the episodes whose reading failed."""
MAX_ERROR_CHARS = 2_000
_SCAN_COUNT = 1_000

# Every script gets KEYS = (the hash, WAITING_KEY, FAILED_KEY, VERSION_KEY, LOG_KEY) and calls
# ``changed()`` after it changed the hash: the sets follow the status, the log notes it.
_CHANGED = (
    RECORD_LUA
    + f"""
local function changed()
  local uuid = string.sub(KEYS[1], {len(KEY_PREFIX) + 1})
  local status = redis.call('HGET', KEYS[1], 'status')
  if status == '{PENDING}' then
    redis.call('SADD', KEYS[2], uuid)
    redis.call('SREM', KEYS[3], uuid)
  elseif status == '{FAILED}' then
    redis.call('SREM', KEYS[2], uuid)
    redis.call('SADD', KEYS[3], uuid)
  else
    redis.call('SREM', KEYS[2], uuid)
    redis.call('SREM', KEYS[3], uuid)
  end
  record_change(KEYS[4], KEYS[5], '{STATE}', uuid)
end
"""
)

_SET_STATUS = lua(
    _CHANGED
    + """
local exists = redis.call('EXISTS', KEYS[1])
if exists == 0 and ARGV[2] == '' then
  return redis.error_reply('CHARLIE_NO_JOURNAL')
end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'journal', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'uuid_map', ARGV[3]) end
redis.call('HSETNX', KEYS[1], 'created_at', ARGV[4])
if ARGV[1] ~= ARGV[5] then redis.call('HDEL', KEYS[1], 'error') end
changed()
return exists
"""
)

_REQUEUE = lua(
    _CHANGED
    + """
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'journal', ARGV[2])
redis.call('HSETNX', KEYS[1], 'created_at', ARGV[3])
redis.call('HDEL', KEYS[1], 'error', 'processing_since', 'processing_by', 'uuid_map')
changed()
return 1
"""
)

_MARK_PROCESSING = lua(
    _CHANGED
    + """
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return false end
local owner = redis.call('HGET', KEYS[1], 'processing_by')
if owner and owner ~= '' and owner ~= ARGV[3] and redis.call('EXISTS', ARGV[4] .. owner) == 1 then
  return 'BUSY'
end
redis.call('HSET', KEYS[1], 'processing_since', ARGV[2], 'processing_by', ARGV[3])
changed()
return ARGV[2]
"""
)

_RESET_IF_ORPHANED = lua(
    _CHANGED
    + """
local owner = redis.call('HGET', KEYS[1], 'processing_by')
if owner and owner ~= '' and redis.call('EXISTS', ARGV[1] .. owner) == 1 then return 0 end
local dropped = redis.call('HDEL', KEYS[1], 'processing_since', 'processing_by')
if dropped > 0 then changed() end
return dropped
"""
)

_RELEASE = lua(
    _CHANGED
    + """
if redis.call('HGET', KEYS[1], 'processing_since') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'processing_since', 'processing_by')
  changed()
  return 1
end
return 0
"""
)

_SET_FAILED = lua(
    _CHANGED
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2])
redis.call('HDEL', KEYS[1], 'processing_since', 'processing_by')
changed()
return 1
"""
)

_FINISH = lua(
    _CHANGED
    + """
if redis.call('HGET', KEYS[1], 'processing_since') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  changed()
  return 1
end
return 0
"""
)

_REMOVE = lua(
    _CHANGED
    + """
local removed = redis.call('DEL', KEYS[1])
if removed > 0 then changed() end
return removed
"""
)

# Add the hashes named in KEYS[3..] to the sets (KEYS[1] waiting, KEYS[2] failed) by status,
# and drop members whose hash is gone or moved on: for hashes written before the sets existed
# (or by hand). Atomic, so a write racing it (which keeps the sets itself) is never undone.
_REINDEX = lua(
    f"""
for i = 3, #KEYS do
  local uuid = string.sub(KEYS[i], {len(KEY_PREFIX) + 1})
  local status = redis.call('HGET', KEYS[i], 'status')
  if status == '{PENDING}' then redis.call('SADD', KEYS[1], uuid) end
  if status == '{FAILED}' then redis.call('SADD', KEYS[2], uuid) end
end
for i, wanted in ipairs({{'{PENDING}', '{FAILED}'}}) do
  for _, uuid in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if redis.call('HGET', '{KEY_PREFIX}' .. uuid, 'status') ~= wanted then
      redis.call('SREM', KEYS[i], uuid)
    end
  end
end
return 1
"""
)


def episode_key(episode_uuid: str) -> str:
    """The redis key of an episode's hash: ``episode:{uuid}``."""
    if not isinstance(episode_uuid, str) or not episode_uuid:
        raise ValueError("An episode uuid must be a non-empty string.")
    return KEY_PREFIX + episode_uuid


def set_episode_status(
    episode_uuid: str,
    status: str,
    journal: str | None = None,
    uuid_map: dict[str, str] | None = None,
) -> None:
    """Set an episode's status (and optionally its journal and uuid map).

    The first status of an episode needs its journal: recovery re-enqueues by journal.
    Moving to any status other than ``failed`` drops a previous error.
    """
    key = episode_key(episode_uuid)
    if not isinstance(status, str) or not status:
        raise ValueError("A status must be a non-empty string.")
    journal_arg = "" if journal is None else validate_journal(journal)
    map_arg = "" if uuid_map is None else _encode_uuid_map(uuid_map)
    try:
        _run(get_redis(), _SET_STATUS, key, status, journal_arg, map_arg, _now(), FAILED)
    except redis.ResponseError as exc:
        if "CHARLIE_NO_JOURNAL" in str(exc):
            raise ValueError(
                f"Episode {episode_uuid} has no status yet: its first status needs a journal."
            ) from None
        raise


def mark_new_pending(
    episode_uuids: list[str], journal: str, pipe: redis.client.Pipeline | None = None
) -> None:
    """The first status of many new episodes (a bulk import), in one round trip; or added to
    ``pipe`` (a transaction the caller executes, with the entries' graph write)."""
    journal = validate_journal(journal)
    own = pipe is None
    pipe = get_redis().pipeline(transaction=False) if pipe is None else pipe
    for episode_uuid in episode_uuids:
        key = episode_key(episode_uuid)
        _run(pipe, _SET_STATUS, key, PENDING, journal, "", _now(), FAILED)
    if own:
        pipe.execute()


def remove_episodes(episode_uuids: list[str]) -> None:
    """Forget many episodes in redis at once (a bulk save that did not happen)."""
    pipe = get_redis().pipeline(transaction=False)
    for episode_uuid in episode_uuids:
        _run(pipe, _REMOVE, episode_key(episode_uuid))
    pipe.execute()


def get_episode_status(episode_uuid: str) -> str | None:
    """The episode's status, or None when it is not in redis (done, or unknown)."""
    return get_redis().hget(episode_key(episode_uuid), "status")


def get_episode_data(episode_uuid: str) -> dict[str, str]:
    """Every field of the episode's hash as raw strings (``{}`` when absent)."""
    return get_redis().hgetall(episode_key(episode_uuid))


def get_episode_uuid_map(episode_uuid: str) -> dict[str, str] | None:
    """The parsed ``uuid_map``, or None when absent or unreadable."""
    raw = get_redis().hget(episode_key(episode_uuid), "uuid_map")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        logger.warning("episode %s has a corrupt uuid_map; ignoring it", episode_uuid)
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        logger.warning("episode %s has a uuid_map that is not str->str; ignoring it", episode_uuid)
        return None
    return value


def scan_episodes(*fields: str) -> list[tuple[str, list[str | None]]]:
    """``(uuid, [values of fields])`` of every episode in redis: one SCAN and one pipeline,
    bounded by the backlog (done episodes have no hash)."""
    client = get_redis()
    keys = _episode_keys(client)
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(key, *fields)
    return [
        (key[len(KEY_PREFIX) :], row)
        for key, row in zip(keys, pipe.execute(raise_on_error=False), strict=True)
        if not isinstance(row, Exception)  # not a hash: a foreign key under our prefix
    ]


def get_episodes_by_status(status: str) -> list[str]:
    """Uuids of episodes with ``status``, oldest first (SCAN: bounded by the backlog)."""
    found = [
        (_as_float(created_at), episode_uuid)
        for episode_uuid, (row_status, created_at) in scan_episodes("status", "created_at")
        if row_status == status
    ]
    found.sort()
    return [episode_uuid for _, episode_uuid in found]


def remove_episode_from_queue(episode_uuid: str) -> bool:
    """Forget the episode in redis (it is done, or deleted). True if it was there."""
    return bool(_run(get_redis(), _REMOVE, episode_key(episode_uuid)))


class EpisodeClaimedError(RuntimeError):
    """Another live worker is processing this episode (several workers share one queue)."""


def mark_episode_processing(episode_uuid: str, worker_id: str = "") -> str | None:
    """Claim a pending episode for ``worker_id`` (the UI shows it as "reading").

    Returns a token (the ``processing_since`` value) for ``finish_episode``, or None when the
    episode is not pending (done, deleted or failed meanwhile): then there is nothing to do.
    Raises EpisodeClaimedError while another worker whose lease (``charlie:lease:<id>``, kept
    alive by its heartbeat) still exists holds the claim: with several workers on one queue,
    an episode is extracted once. A dead worker's claim lapses with its lease.
    """
    token = _now()
    key = episode_key(episode_uuid)
    result = _run(get_redis(), _MARK_PROCESSING, key, PENDING, token, worker_id, LEASE_PREFIX)
    if result == "BUSY":
        raise EpisodeClaimedError(f"episode {episode_uuid} is being read by another worker")
    return result if result else None


def finish_episode(episode_uuid: str, token: str) -> bool:
    """Remove the episode only if it was not re-queued since ``mark_episode_processing``.

    An edit or retry while the worker runs clears ``processing_since``; the stale run must
    then leave the new pending state alone. True if the hash was removed.
    """
    return bool(_run(get_redis(), _FINISH, episode_key(episode_uuid), token))


def release_episode(episode_uuid: str, token: str) -> bool:
    """Give up the claim taken by ``mark_episode_processing``: the episode waits again.

    For a worker that cannot read it for a reason that is not the entry's (the model cannot
    load): the UI must not show it as "reading" while that worker lives. A newer claim or an
    edit since (``processing_since`` changed) is left alone. True if the claim was dropped.
    """
    return bool(_run(get_redis(), _RELEASE, episode_key(episode_uuid), token))


def set_episode_failed(episode_uuid: str, reason: str) -> bool:
    """Mark the episode failed with a short reason; it stays in redis for a retry.

    Does nothing (returns False) when the episode is no longer in redis, e.g. deleted.
    """
    text = str(reason).strip() or "Unknown error"
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    return bool(_run(get_redis(), _SET_FAILED, episode_key(episode_uuid), FAILED, text))


def requeue_episode(episode_uuid: str, journal: str) -> None:
    """Back to pending from any state, dropping error, progress and the stale uuid map."""
    key = episode_key(episode_uuid)
    _run(get_redis(), _REQUEUE, key, PENDING, validate_journal(journal), _now())


def reset_processing_marks() -> int:
    """Drop the "reading" marks of workers that are gone: for the worker's startup recovery.

    A worker killed mid-task leaves its episode marked "reading"; once recovery re-enqueues
    it, it is waiting again. Marks of live workers (lease present) are kept. Returns how many
    episodes had a mark dropped.
    """
    client = get_redis()
    keys = _episode_keys(client)
    if not keys:
        return 0
    pipe = client.pipeline(transaction=False)
    for key in keys:
        _run(pipe, _RESET_IF_ORPHANED, key, LEASE_PREFIX)
    return sum(1 for n in pipe.execute(raise_on_error=False) if isinstance(n, int) and n > 0)


def count_pending() -> int:
    """How many episodes wait for (or are in) processing."""
    return len(get_episodes_by_status(PENDING))


def count_backlog() -> tuple[int, int]:
    """How many episodes wait (or are being read), and how many failed: two set sizes, O(1)
    whatever the backlog (kept by every write here; ``reindex_backlog`` fills them for hashes
    written before they existed)."""
    pipe = get_redis().pipeline(transaction=False)
    pipe.scard(WAITING_KEY)
    pipe.scard(FAILED_KEY)
    waiting, failed = pipe.execute()
    return int(waiting), int(failed)


def reindex_backlog() -> None:
    """Make the waiting and failed sets match the hashes: once when a journal is opened, one
    SCAN bounded by the backlog (every later write keeps them up to date)."""
    client = get_redis()
    keys = _episode_keys(client)
    _REINDEX([WAITING_KEY, FAILED_KEY, *keys], client=client)


def _run(client: redis.Redis | redis.client.Pipeline, script: Script, key: str, *args: str) -> Any:
    """Run one of the scripts above on the hash ``key`` (on ``client`` or in a pipeline)."""
    return script([key, WAITING_KEY, FAILED_KEY, VERSION_KEY, LOG_KEY], args, client)


def _episode_keys(client: redis.Redis) -> list[str]:
    return list(dict.fromkeys(client.scan_iter(match=KEY_PREFIX + "*", count=_SCAN_COUNT)))


def _encode_uuid_map(uuid_map: dict[str, str]) -> str:
    if not isinstance(uuid_map, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in uuid_map.items()
    ):
        raise TypeError("uuid_map must be a dict of str to str.")
    return json.dumps(uuid_map, ensure_ascii=False, sort_keys=True)


def _now() -> str:
    return repr(time.time())


def _as_float(value: str | None) -> float:
    try:
        return float(value) if value is not None else 0.0
    except ValueError:
        return 0.0

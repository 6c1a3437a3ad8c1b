"""The change log: how an app learns what changed without reading the whole journal.

Every write a list of entries shows adds one numbered event to a short redis stream: an
entry's reading state moving (``STATE``, written by ``episode_state`` in the same script as
the state itself), an entry saved or edited (``SAVED``), deleted (``DELETED``), and a
correction of what was found (``CORRECTED``). The counter ``VERSION_KEY`` numbers them and an
event's stream id is ``<number>-0``, so a reader that has seen number ``n`` asks for the
events from ``n + 1``: one command whatever the size of the journal, and a gap (the log keeps
the last ``LOG_LENGTH`` events) shows as a missing first number. The UI polls the counter
once a tick and then refreshes only the entries named, or everything when an event is not a
row's state, or when it missed events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .connection import get_redis
from .lua import lua

if TYPE_CHECKING:
    import redis

VERSION_KEY = "charlie:changes:version"
LOG_KEY = "charlie:changes"
LOG_LENGTH = 1_000
"""Events kept (at least: redis trims whole blocks): far more than a second's worth."""
MAX_ENTRIES = 200
"""More changed entries than this at once (an import) and reloading the view is cheaper."""

STATE = "state"
SAVED = "saved"
DELETED = "deleted"
CORRECTED = "corrected"

RECORD_LUA = f"""
local function record_change(version_key, log_key, kind, uuid)
  local number = redis.call('INCR', version_key)
  local ok = redis.pcall('XADD', log_key, 'MAXLEN', '~', {LOG_LENGTH}, number .. '-0',
                         'kind', kind, 'uuid', uuid)
  if type(ok) == 'table' and ok.err then
    -- The counter was lost while the log was kept: carry on from the log's last number, so
    -- readers miss nothing and the write itself never fails because of the log.
    local last = redis.call('XREVRANGE', log_key, '+', '-', 'COUNT', 1)[1][1]
    number = tonumber(string.match(last, '^(%d+)')) + 1
    redis.call('SET', version_key, number)
    redis.call('XADD', log_key, 'MAXLEN', '~', {LOG_LENGTH}, number .. '-0',
               'kind', kind, 'uuid', uuid)
  end
end
"""
"""A Lua function for scripts that also write what they record (``episode_state``'s)."""

_RECORD = lua(
    RECORD_LUA
    + """
for i = 2, #ARGV do record_change(KEYS[1], KEYS[2], ARGV[1], ARGV[i]) end
"""
)


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed after a version: ``entries`` whose reading state moved, or ``everything``
    (an entry saved, edited or deleted, a correction, too many changes, or a gap in the log:
    reload the view). ``version`` is the newest number seen, for the next call."""

    version: int
    entries: frozenset[str]
    everything: bool


def record_change(
    kind: str,
    uuids: Iterable[str] = ("",),
    client: redis.Redis | redis.client.Pipeline | None = None,
) -> None:
    """Add one event of ``kind`` per uuid ("" when the change is not one entry's), at once on
    the connection or queued on ``client`` when it is a pipeline: a transaction that writes
    what changed records it too, so a save that fails records nothing and one that succeeds
    is seen."""
    args = [kind, *(list(uuids) or [""])]
    _RECORD([VERSION_KEY, LOG_KEY], args, get_redis() if client is None else client)


def current_version() -> int:
    """The number of the newest event (0 before the first)."""
    return int(get_redis().get(VERSION_KEY) or 0)


def changes_since(version: int) -> Changes:
    """The events after ``version``: a GET and one XRANGE of at most ``MAX_ENTRIES + 1``."""
    pipe = get_redis().pipeline(transaction=False)
    pipe.get(VERSION_KEY)
    pipe.xrange(LOG_KEY, min=f"{version + 1}-0", count=MAX_ENTRIES + 1)
    raw_now, events = pipe.execute()
    now = int(raw_now or 0)
    if now == version:
        return Changes(now, frozenset(), everything=False)
    complete = bool(events) and events[0][0] == f"{version + 1}-0" and now > version
    if not complete or len(events) > MAX_ENTRIES:
        return Changes(now, frozenset(), everything=True)
    if any(fields.get("kind") != STATE for _, fields in events):
        return Changes(now, frozenset(), everything=True)
    last = int(events[-1][0].split("-")[0])  # later events come with the next call
    return Changes(last, frozenset(fields.get("uuid", "") for _, fields in events), False)

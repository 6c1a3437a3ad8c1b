"""The worker's self-report in redis, so the UI can show worker/model state without asking it.

One small hash (``charlie:worker``), overwritten in place: it never grows with the journal.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Literal, cast

from .connection import get_redis
from .episode_state import LEASE_PREFIX

STATUS_KEY = "charlie:worker"
HEARTBEAT_S = 2.0
STALE_AFTER_S = 3 * HEARTBEAT_S
EXIT_SERVER_LOST = 75
"""The exit status of a worker whose database server went away (EX_TEMPFAIL: start it again
once the server is back); the app shows it in words."""


Activity = Literal["", "loading", "reading", "unloading"]
"""What the worker is doing now: loading or unloading the model, reading an entry, or ""."""

AVERAGE_WEIGHT = 0.3
"""How much the last entry's reading time moves the running average (an estimate, not a log)."""


@dataclass(frozen=True)
class WorkerStatus:
    """What the worker last said about itself. ``read`` counts the entries read since the
    model was loaded for this backlog, ``seconds_per_entry`` is a running average of how
    long one took: with the queue's count they say "entry 3 of 12, about 2 min left"."""

    running: bool
    pid: int
    model: str  # "" when no model is loaded
    error: str  # the last model problem, "" when none
    loads: int
    unloads: int
    activity: Activity = ""
    read: int = 0
    seconds_per_entry: float = 0.0
    model_name: str = ""
    """Which model reads the entries ("" until a worker says)."""
    builtin: bool = False
    """Whether that is the bundled smoke-test model (the app then names a better one)."""
    part: int = 0
    parts: int = 0
    """The chunk of a long entry being read, and how many it has (0 for a short entry)."""


def publish(**fields: str | int | float) -> None:
    """Overwrite some fields of the worker's status."""
    get_redis().hset(STATUS_KEY, mapping={k: str(v) for k, v in fields.items()})


def doing(activity: Activity) -> None:
    """Say what the worker is doing now (``""``: nothing worth saying)."""
    publish(activity=activity)


def start_reading() -> None:
    """The worker starts on an entry (how many chunks it has is not known yet)."""
    publish(activity="reading", part=0, parts=0)


def reading_part(number: int, total: int) -> None:
    """The worker reads chunk ``number`` of the ``total`` of a long entry."""
    publish(part=number, parts=total)


def entry_read(seconds: float) -> None:
    """One more entry read in this backlog, in ``seconds``: the count and the average move."""
    data = get_redis().hmget(STATUS_KEY, "read", "seconds_per_entry")
    read, average = int(data[0] or 0), float(data[1] or 0.0)
    average = seconds if not read else average + AVERAGE_WEIGHT * (seconds - average)
    publish(read=read + 1, seconds_per_entry=round(average, 3), activity="", part=0, parts=0)


def backlog_done() -> None:
    """The backlog is read (the model goes): the next one counts from zero."""
    publish(read=0)


def count(field: str) -> None:
    """Add one to a counter (model loads and unloads: the benchmarks and tests read them)."""
    get_redis().hincrby(STATUS_KEY, field, 1)


def worker_id() -> str:
    """This worker's name in claims and leases: unique across the machines sharing a queue."""
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat() -> None:
    """Tell the UI we are alive, and renew our lease so our claims on episodes stay ours."""
    publish(heartbeat=time.time())
    get_redis().set(LEASE_PREFIX + worker_id(), "1", px=int(STALE_AFTER_S * 1000))


def drop_lease() -> None:
    """On a clean exit our claims lapse at once instead of when the lease expires."""
    get_redis().delete(LEASE_PREFIX + worker_id())


def clear() -> None:
    """Forget the previous worker's report (a new worker starts from zero)."""
    get_redis().delete(STATUS_KEY)


def read_status() -> WorkerStatus:
    """The worker's last report; ``running`` is false once its heartbeat is stale."""
    data = get_redis().hgetall(STATUS_KEY)
    beat = float(data.get("heartbeat", 0) or 0)
    return WorkerStatus(
        running=bool(data)
        and data.get("state") == "running"
        and time.time() - beat < STALE_AFTER_S,
        pid=int(data.get("pid", 0) or 0),
        model=data.get("model", ""),
        error=data.get("error", ""),
        loads=int(data.get("loads", 0) or 0),
        unloads=int(data.get("unloads", 0) or 0),
        activity=cast(Activity, data.get("activity", "")),
        read=int(data.get("read", 0) or 0),
        seconds_per_entry=float(data.get("seconds_per_entry", 0) or 0),
        model_name=data.get("model_name", ""),
        builtin=data.get("builtin") == "1",
        part=int(data.get("part", 0) or 0),
        parts=int(data.get("parts", 0) or 0),
    )

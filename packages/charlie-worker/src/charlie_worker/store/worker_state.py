"""The worker's self-report in redis, so the UI can show worker/model state without asking it.

One small hash (``charlie:worker``), overwritten in place: it never grows with the journal.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from .connection import get_redis
from .episode_state import LEASE_PREFIX

STATUS_KEY = "charlie:worker"
HEARTBEAT_S = 2.0
STALE_AFTER_S = 3 * HEARTBEAT_S


@dataclass(frozen=True)
class WorkerStatus:
    """What the worker last said about itself."""

    running: bool
    pid: int
    model: str  # "" when no model is loaded
    error: str  # the last model problem, "" when none
    loads: int
    unloads: int


def publish(**fields: str | int | float) -> None:
    """Overwrite some fields of the worker's status."""
    get_redis().hset(STATUS_KEY, mapping={k: str(v) for k, v in fields.items()})


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
    )

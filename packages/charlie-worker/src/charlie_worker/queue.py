"""The Huey queue, on the same embedded redis as the graph.

The pool is the database's non-decoding one (task payloads are pickled). The huey object
exists at import so tasks can register on it, but is bound to the server only by
``bind_queue()``: importing this module must not open (or create) a database.
"""

from __future__ import annotations

import redis
from huey import RedisHuey

from .database.lifecycle import huey_pool

QUEUE_NAME = "charlie"


def _unbound_pool() -> redis.ConnectionPool:
    """A pool that connects nowhere until ``bind_queue()`` replaces it."""
    return redis.ConnectionPool(connection_class=redis.UnixDomainSocketConnection, path="")


huey = RedisHuey(
    QUEUE_NAME,
    connection_pool=_unbound_pool(),
    # Nothing reads task results, and unread results would pile up in redis forever.
    results=False,
    # A failed first attempt must not surface as the final error while a retry may succeed.
    store_intermediate_errors=False,
)


def bind_queue() -> RedisHuey:
    """Point the queue at the current database's server (again, after a reopen)."""
    pool = huey_pool()
    if huey.storage_kwargs.get("connection_pool") is not pool:
        huey.storage_kwargs["connection_pool"] = pool
        huey.storage = huey.create_storage()
    return huey


def queued_tasks() -> int:
    """Tasks waiting in the queue (not counting one being executed)."""
    return bind_queue().pending_count()

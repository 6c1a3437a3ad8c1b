"""The Huey queue, on the same server as the graph, and the one task it carries.

Whoever saves an entry enqueues it here (``enqueue_reading``); the worker process reads it.
The task is declared in the store so that enqueueing needs no model code: its body is the
reader the worker process installs (``charlie_worker.pipeline.tasks`` calls ``serve``). A
process that enqueues (the app, a script) never imports the pipeline; a process that consumes
without having installed a reader fails the task loudly instead of dropping entries.

The huey object exists at import so the task can register on it, but is bound to the server
only by ``bind_queue()``: importing this module must not open (or create) a database.

The queue is a priority queue: what the user writes or edits is read first (``USER``); an
import's thousands of entries wait behind it as backlog, newest entry date first (across
imports: the priority grows with the date), and entries recovered at start after those.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import redis
from huey import Huey, PriorityRedisHuey
from huey.api import Task
from huey.storage import PriorityRedisStorage

from .connection import queue_pool
from .episode_state import PENDING, get_episode_data, get_episodes_by_status, reset_processing_marks

logger = logging.getLogger(__name__)

QUEUE_NAME = "charlie"
RETRIES = 2
"""Extra attempts after unusable model output; each retry samples at a higher temperature."""
RETRY_DELAY_S = 1

USER = 10
"""The priority of an entry the user just wrote, edited or retried: read before any backlog."""
BACKLOG = 0
"""The priority of entries recovered at start; an imported entry's is a fraction above it."""
_DATE_SCALE = 1e10
"""Epoch seconds over this are below 1 until the year 2286: an imported entry's priority
``BACKLOG + date / _DATE_SCALE`` stays under ``USER`` and grows with its date."""

Reader = Callable[[str, str, Task | None], dict[str, Any] | None]
"""``reader(episode_uuid, journal, task)``: reads one entry in the worker process."""

_reader: Reader | None = None


def _unbound_pool() -> redis.ConnectionPool:
    """A pool that connects nowhere until ``bind_queue()`` replaces it."""
    return redis.ConnectionPool(connection_class=redis.UnixDomainSocketConnection, path="")


class _Storage(PriorityRedisStorage):
    """Huey's priority queue on redis, plus queueing many tasks in one round trip."""

    def enqueue_many(self, messages: Sequence[tuple[bytes, float]]) -> None:
        """``enqueue`` each ``(data, priority)`` in order, through one pipeline (none: no-op).

        With ``appendfsync always`` each write waits for a disk sync: an import's thousands
        of tasks queued one by one took ~4 ms each. Huey's own ``enqueue`` writes each one
        (its encoding and ordering stay Huey's), into a pipeline instead of the connection.
        """
        if not messages:
            return
        pipe = self.conn.pipeline(transaction=False)
        batch = types.SimpleNamespace(conn=pipe, queue_key=self.queue_key)
        for data, priority in messages:
            PriorityRedisStorage.enqueue(batch, data, priority)  # type: ignore[arg-type]
        pipe.execute()


class _Huey(PriorityRedisHuey):
    storage_class = _Storage


huey = _Huey(
    QUEUE_NAME,
    connection_pool=_unbound_pool(),
    # Nothing reads task results, and unread results would pile up in redis forever.
    results=False,
    # A failed first attempt must not surface as the final error while a retry may succeed.
    store_intermediate_errors=False,
)


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_S, context=True)
def read_entry(episode_uuid: str, journal: str, task: Task | None = None) -> dict | None:
    """Read one entry: extract, resolve and file its entities (the installed reader does it)."""
    if _reader is None:
        raise RuntimeError(
            "This process has no entry reader: entries are read by charlie-worker "
            "(charlie_worker.pipeline.tasks installs it)."
        )
    return _reader(episode_uuid, journal, task)


def serve(reader: Reader) -> None:
    """Install the body of ``read_entry`` in this process (the worker does, at import)."""
    global _reader
    _reader = reader


def bind_queue() -> _Huey:
    """Point the queue at the current database's server (again, after a reopen)."""
    pool = queue_pool()
    if huey.storage_kwargs.get("connection_pool") is not pool:
        huey.storage_kwargs["connection_pool"] = pool
        huey.storage = huey.create_storage()
    return huey


def queued_tasks() -> int:
    """Tasks waiting in the queue (not counting one being executed)."""
    return bind_queue().pending_count()


def enqueue_reading(episode_uuid: str, journal: str, priority: float = USER) -> None:
    """Queue an entry for reading. Raises when the queue cannot be reached: callers that have
    already saved the entry decide whether that matters (it stays pending for recovery)."""
    bind_queue().enqueue(read_entry.s(episode_uuid, journal, priority=priority))


def enqueue_backlog(entries: Sequence[tuple[str, float]], journal: str) -> None:
    """Queue many ``(uuid, date as epoch seconds)`` entries behind anything the user writes,
    newest date first, in one round trip."""
    _enqueue_all(
        read_entry.s(u, journal, priority=BACKLOG + max(date, 0.0) / _DATE_SCALE)
        for u, date in entries
    )


def _enqueue_all(tasks: Iterable[Task]) -> None:
    """Queue ``tasks``, each at its own priority, in one round trip."""
    queue = bind_queue()
    queue.storage.enqueue_many([(queue.serialize_task(t), t.priority) for t in tasks])


def requeue_pending() -> int:
    """Rebuild the queue from the episode hashes, the source of truth: exactly one queued task
    per pending entry (tasks lost with a killed worker come back, none is queued twice), and
    "reading" marks of workers that are gone dropped. Returns how many entries were queued."""
    bind_queue().storage.flush_queue()
    reset_processing_marks()
    pending = get_episodes_by_status(PENDING)
    _enqueue_all(
        read_entry.s(episode_uuid, journal, priority=BACKLOG)
        for episode_uuid in pending
        if (journal := get_episode_data(episode_uuid).get("journal"))
    )
    logger.info("queued %d pending entr%s", len(pending), "y" if len(pending) == 1 else "ies")
    return len(pending)


def queued_readings(queue: Huey) -> list[str]:
    """The entry of every queued or scheduled reading task (other tasks, such as the worker's
    sweep, share the queue). Read as Huey's raw messages: no task needs to be registered in
    this process."""
    storage = queue.storage
    name = queue._registry.task_to_string(read_entry.task_class)
    messages = (
        queue.serializer.deserialize(data)
        for data in (*storage.enqueued_items(), *storage.scheduled_items())
    )
    return [message.args[0] for message in messages if message.name == name]


def sweep() -> int:
    """Queue again every waiting entry that no task would ever read; returns how many.

    An entry can be left so when its enqueue failed after the save (the save still counts),
    or when a worker died holding it: claims whose worker's lease has lapsed are dropped
    first. Entries with a queued or scheduled task, or claimed by a live worker, are left
    alone, so a sweep never doubles work; and a doubled task would find the entry done.
    """
    queue = bind_queue()
    reset_processing_marks()
    covered = set(queued_readings(queue))
    lost = []
    for episode_uuid in get_episodes_by_status(PENDING):
        data = get_episode_data(episode_uuid)
        if episode_uuid in covered or data.get("processing_since") or not data.get("journal"):
            continue
        lost.append(read_entry.s(episode_uuid, data["journal"], priority=BACKLOG))
    _enqueue_all(lost)
    if lost:
        logger.warning("sweep: queued %d waiting entries no task would have read", len(lost))
    return len(lost)

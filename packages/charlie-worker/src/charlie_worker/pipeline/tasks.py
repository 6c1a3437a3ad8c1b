"""What the worker process does with a queued entry, and the Manager wired to Huey's hooks.

Importing this module installs ``read_entry_now`` as the body of the store's ``read_entry``
task, and registers three hooks on the queue's huey object, all run in the consumer's single
worker thread (the only thread that touches a model):

* ``on_startup``: the process's Model Manager is created;
* ``post_execute``: after every task, whatever its outcome, the model is closed once no entry
  waits: a backlog keeps it warm, the last task of the backlog unloads it (no timers);
* ``on_shutdown``: a stopping worker closes its model.

It also registers ``sweep_lost_entries``, a periodic task (every minute) that queues again
the waiting entries no task would read.

The model stack (dspy, ``charlie_inference``'s programs) is imported by the first task, not
here: the consumer starts and reports itself running without waiting a second for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any, NoReturn

from huey import crontab
from huey.api import Task
from huey.exceptions import RetryTask

from charlie_worker.store import queue, worker_state
from charlie_worker.store.episode_state import (
    EpisodeClaimedError,
    finish_episode,
    mark_episode_processing,
    release_episode,
    remove_episode_from_queue,
    set_episode_failed,
)
from charlie_worker.store.reading import held_for

from .manager import manager

logger = logging.getLogger(__name__)

huey = queue.huey


BACKOFF_S = (5, 15, 30, 60, 120, 300)
"""Waits after consecutive failures that are not an entry's fault, the last one repeated."""


class Backoff:
    """The worker's wait after failures that are not an entry's fault: the model cannot load,
    its server is down, the database or a setting is wrong, or a bug.

    While it lasts no entry is tried (each would fail the same way, and trying a thousand of
    them would load a broken model a thousand times); the first entry read resets it.
    """

    def __init__(self) -> None:
        self.failures = 0
        self.until = 0.0
        self.reason = ""

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def fail(self, reason: str) -> int:
        """Record one more failure; the seconds to wait before the next try."""
        delay = BACKOFF_S[min(self.failures, len(BACKOFF_S) - 1)]
        self.failures += 1
        self.until = time.monotonic() + delay
        self.reason = reason
        return delay

    def reset(self) -> None:
        self.failures, self.until, self.reason = 0, 0.0, ""


BACKOFF = Backoff()


def read_entry_now(episode_uuid: str, journal: str, task: Task | None = None) -> dict[str, Any]:
    """Read one entry: extract, resolve and file its entities, then forget it in redis.

    Idempotent: an entry that is no longer pending (done, deleted, failed) is skipped, so a
    task queued twice extracts once. Every outcome is one of three, and no claim outlives it:
    read (done); failed with a reason the user can read and retry, only when the entry itself
    is the cause (unusable model output, after the retries: a long entry then has the chunks
    that could be read filed, and its reason names the part that could not); or released and
    tried again after a backoff, for everything else (a model that cannot load, a context too
    small, a model server that cannot be reached, the database, a bug). The worker's status
    says why it waits. Each chunk of a long entry is kept as it is read, so a retry, or a
    worker restarted after a crash, reads only the chunks not read yet.
    """
    from charlie_inference import ExtractionError

    from .extraction import EpisodeNotFoundError, extract_nodes

    _wait_while_typing()
    if (wait := BACKOFF.remaining()) > 0:
        logger.info(
            "entry %s stays pending: waiting %.0f s more (%s)", episode_uuid, wait, BACKOFF.reason
        )
        raise RetryTask(delay=wait)
    try:
        token = mark_episode_processing(episode_uuid, worker_state.worker_id())
    except EpisodeClaimedError:
        # Another worker on this queue is reading it; look again once its lease could lapse.
        raise RetryTask(delay=worker_state.STALE_AFTER_S) from None
    if token is None:
        return {"episode_uuid": episode_uuid, "skipped": True}
    attempt = queue.RETRIES - task.retries if task is not None else 0
    started = time.monotonic()
    worker_state.start_reading()
    try:
        result = extract_nodes(episode_uuid, journal, attempt=attempt)
    except EpisodeNotFoundError:
        remove_episode_from_queue(episode_uuid)
        return {"episode_uuid": episode_uuid, "skipped": True}
    except ExtractionError as exc:
        if task is not None and task.retries > 0:
            logger.warning(
                "entry %s attempt %d unusable, retrying: %s", episode_uuid, attempt + 1, exc
            )
            raise
        set_episode_failed(episode_uuid, f"{exc} (after {attempt + 1} attempts)")
        return {"episode_uuid": episode_uuid, "failed": str(exc)}
    except Exception as exc:
        _wait_and_retry(episode_uuid, token, exc)
    finish_episode(episode_uuid, token)
    if BACKOFF.failures:
        BACKOFF.reset()
        worker_state.publish(error="")
    worker_state.entry_read(time.monotonic() - started)
    logger.info("entry %s: %s", episode_uuid, result)
    return result.as_dict()


TYPING_POLL_S = 0.25


def _wait_while_typing() -> None:
    """The user is typing in the editor: start no new entry until they pause.

    Waits here, in the worker thread, rather than rescheduling the task: a reschedule would
    make the consumer pull and push back every queued entry in turn. The model stays loaded
    (the Manager closes it only after a task once nothing waits).
    """
    while (left := held_for()) > 0:
        time.sleep(min(left, TYPING_POLL_S))


def _wait_and_retry(episode_uuid: str, token: str, exc: Exception) -> NoReturn:
    """Release the entry (waiting, not "reading"), say why, and try it again after a backoff."""
    from charlie_inference import (
        ContextWindowError,
        ModelLoadError,
        ModelServerError,
        ProgramStateError,
    )

    reason = str(exc) or type(exc).__name__
    delay = BACKOFF.fail(reason)
    expected = (ModelLoadError, ProgramStateError, ContextWindowError, ModelServerError)
    log = logger.error if isinstance(exc, expected) else logger.exception
    log("entry %s stays pending, retrying in %d s: %s", episode_uuid, delay, reason)
    worker_state.publish(error=f"{reason} (retrying in {delay} s)")
    release_episode(episode_uuid, token)
    manager().unload_all()  # nothing is tried while the backoff lasts: free the memory
    raise RetryTask(delay=delay) from exc


queue.serve(read_entry_now)


SWEEP_EVERY = crontab(minute="*")
"""How often the worker looks for waiting entries no task would read (``queue.sweep``)."""


@huey.periodic_task(SWEEP_EVERY, priority=queue.BACKLOG)
def sweep_lost_entries() -> int:
    """Self-healing: queue again what a failed enqueue or a dead worker left waiting. Runs in
    the worker thread between entries and touches no model."""
    return queue.sweep()


@huey.on_startup()
def start_manager() -> None:
    """One Model Manager per worker process, made before the first task."""
    manager()


@huey.post_execute()
def cleanup_after_task(task: Task, task_value: object, exc: BaseException | None) -> None:
    """The one place models are released: after every task, once no entry waits."""
    manager().cleanup_if_no_work()


@huey.on_shutdown()
def unload_on_shutdown() -> None:
    """A stopping worker frees its model in the thread that owns it."""
    manager().unload_all()

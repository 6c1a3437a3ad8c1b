"""What the worker process does with a queued entry, and the Manager wired to Huey's hooks.

Importing this module installs ``read_entry_now`` as the body of the store's ``read_entry``
task, and registers three hooks on the queue's huey object, all run in the consumer's single
worker thread (the only thread that touches a model):

* ``on_startup``: the process's Model Manager is created;
* ``post_execute``: after every task, whatever its outcome, the model is closed once no entry
  waits: a backlog keeps it warm, the last task of the backlog unloads it (no timers);
* ``on_shutdown``: a stopping worker closes its model.

The model stack (dspy, ``charlie_inference``'s programs) is imported by the first task, not
here: the consumer starts and reports itself running without waiting a second for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

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

from .manager import manager

logger = logging.getLogger(__name__)

huey = queue.huey


def read_entry_now(episode_uuid: str, journal: str, task: Task | None = None) -> dict[str, Any]:
    """Read one entry: extract, resolve and file its entities, then forget it in redis.

    Idempotent: an entry that is no longer pending (done, deleted, failed) is skipped, so a
    task queued twice extracts once. Unusable model output is retried, then recorded on the
    entry as its failure reason. A model that cannot load, or whose context window is too
    small for the program, leaves the entry pending: it is not the entry's fault, and it is
    read once the setting is fixed.
    """
    from charlie_inference import (
        ContextWindowError,
        ExtractionError,
        ModelLoadError,
        ProgramStateError,
    )

    from .extraction import EpisodeNotFoundError, extract_nodes

    try:
        token = mark_episode_processing(episode_uuid, worker_state.worker_id())
    except EpisodeClaimedError:
        # Another worker on this queue is reading it; look again once its lease could lapse.
        raise RetryTask(delay=worker_state.STALE_AFTER_S) from None
    if token is None:
        return {"episode_uuid": episode_uuid, "skipped": True}
    attempt = queue.RETRIES - task.retries if task is not None else 0
    started = time.monotonic()
    worker_state.doing("reading")
    try:
        result = extract_nodes(episode_uuid, journal, attempt=attempt)
    except EpisodeNotFoundError:
        remove_episode_from_queue(episode_uuid)
        return {"episode_uuid": episode_uuid, "skipped": True}
    except (ModelLoadError, ProgramStateError, ContextWindowError) as exc:
        logger.error("model unavailable; entry %s stays pending: %s", episode_uuid, exc)
        worker_state.publish(error=str(exc))  # the UI shows it: a setting to fix, not an entry
        release_episode(episode_uuid, token)  # waiting again, not "reading" while we idle
        if not queue.queued_tasks():  # nothing else to try: do not sit on a model we cannot use
            manager().unload_all()
        return {"episode_uuid": episode_uuid, "error": str(exc)}
    except ExtractionError as exc:
        if task is not None and task.retries > 0:
            logger.warning(
                "entry %s attempt %d unusable, retrying: %s", episode_uuid, attempt + 1, exc
            )
            raise
        set_episode_failed(episode_uuid, f"{exc} (after {attempt + 1} attempts)")
        return {"episode_uuid": episode_uuid, "failed": str(exc)}
    finish_episode(episode_uuid, token)
    worker_state.entry_read(time.monotonic() - started)
    logger.info("entry %s: %s", episode_uuid, result)
    return result.as_dict()


queue.serve(read_entry_now)


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

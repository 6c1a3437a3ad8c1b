"""Huey tasks: the only code the consumer runs, and the only way tasks reach a model.

Imports stay light (no dspy, no llama.cpp) because the UI process imports this module to
enqueue; the extraction code is imported inside the task, in the worker.
"""

from __future__ import annotations

import logging

from huey.api import Task
from huey.exceptions import RetryTask

from . import status
from .database.redis_ops import (
    PENDING,
    EpisodeClaimedError,
    finish_episode,
    get_episode_data,
    get_episodes_by_status,
    mark_episode_processing,
    release_episode,
    remove_episode_from_queue,
    reset_processing_marks,
    set_episode_failed,
)
from .manager import cleanup_if_no_work, unload_all_models
from .queue import bind_queue, huey, queued_tasks
from .status import STALE_AFTER_S, worker_id

logger = logging.getLogger(__name__)

RETRIES = 2
"""Extra attempts after unusable model output; each retry samples at a higher temperature."""


@huey.task(retries=RETRIES, retry_delay=1, context=True)
def extract_nodes_task(episode_uuid: str, journal: str, task: Task | None = None) -> dict | None:
    """Read one episode: extract, resolve and store its entities, then forget it in redis.

    Idempotent: an episode that is no longer pending (done, deleted, failed) is skipped, so a
    task enqueued twice extracts once. Unusable model output is retried, then recorded on the
    episode as its failure reason. A model that cannot load, or whose context window is too
    small for the program, leaves the episode pending: it is not the entry's fault, and it is
    read once the setting is fixed.
    """
    from charlie_inference import (
        ContextWindowError,
        ExtractionError,
        ModelLoadError,
        ProgramStateError,
    )

    from .graph.extract_nodes import EpisodeNotFoundError, extract_nodes

    try:
        token = mark_episode_processing(episode_uuid, worker_id())
    except EpisodeClaimedError:
        # Another worker on this queue is reading it; look again once its lease could lapse.
        raise RetryTask(delay=STALE_AFTER_S) from None
    if token is None:
        cleanup_if_no_work(queued_tasks)
        return {"episode_uuid": episode_uuid, "skipped": True}
    attempt = RETRIES - task.retries if task is not None else 0
    try:
        result = extract_nodes(episode_uuid, journal, attempt=attempt)
    except EpisodeNotFoundError:
        remove_episode_from_queue(episode_uuid)
        cleanup_if_no_work(queued_tasks)
        return {"episode_uuid": episode_uuid, "skipped": True}
    except (ModelLoadError, ProgramStateError, ContextWindowError) as exc:
        logger.error("model unavailable; episode %s stays pending: %s", episode_uuid, exc)
        status.publish(error=str(exc))  # the UI shows it: a setting to fix, not an entry
        release_episode(episode_uuid, token)  # waiting again, not "reading" while we idle
        if not queued_tasks():  # nothing else to try: do not sit on a model we cannot use
            unload_all_models()
        return {"episode_uuid": episode_uuid, "error": str(exc)}
    except ExtractionError as exc:
        if task is not None and task.retries > 0:
            logger.warning(
                "episode %s attempt %d unusable, retrying: %s", episode_uuid, attempt + 1, exc
            )
            raise
        set_episode_failed(episode_uuid, f"{exc} (after {attempt + 1} attempts)")
        cleanup_if_no_work(queued_tasks)
        return {"episode_uuid": episode_uuid, "failed": str(exc)}
    finish_episode(episode_uuid, token)
    cleanup_if_no_work(queued_tasks)
    logger.info("episode %s: %s", episode_uuid, result)
    return result.as_dict()


def enqueue_extraction(episode_uuid: str, journal: str) -> None:
    """Queue an episode for reading (the UI and the recovery call this)."""
    bind_queue()
    extract_nodes_task(episode_uuid, journal)


def recover_pending_episodes() -> int:
    """Startup recovery: exactly one queued task per pending episode; returns how many.

    The queue is rebuilt from redis's episode hashes, the source of truth: tasks lost with a
    killed worker come back, and no episode is queued twice by recovery itself.
    """
    bind_queue().storage.flush_queue()
    reset_processing_marks()
    pending = get_episodes_by_status(PENDING)
    for episode_uuid in pending:
        journal = get_episode_data(episode_uuid).get("journal")
        if journal:
            enqueue_extraction(episode_uuid, journal)
    logger.info("recovered %d pending episode(s)", len(pending))
    return len(pending)

"""Blocking journal calls, run off the event loop.

Each call runs in a Textual thread worker and posts its result to the node that asked, as a
message: the harlequin/posting pattern. Within a ``group`` only the latest call posts
(``exclusive``), so a slow read can never overwrite a newer one. Typing never waits on the
database. This module is on the first frame's path, so it names the store's error only where
one is raised (a ``charlie_worker`` name loads the store).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from .messages import OperationFailed

logger = logging.getLogger(__name__)


def run_blocking(
    node: MessagePump,
    call: Callable[[], Message | None],
    *,
    group: str,
    exclusive: bool = True,
) -> Worker[None]:
    """Run ``call`` in a thread and post the message it returns to ``node``.

    A closed journal (the app is quitting) is silent; any other failure is posted as
    ``OperationFailed``: the database going away must not take the UI down with it.
    """

    def job() -> None:
        try:
            message = call()
        except Exception as exc:
            if _closed(exc):
                return
            logger.exception("%s failed", group)
            message = OperationFailed(str(exc) or type(exc).__name__)
        if message is not None and not get_current_worker().is_cancelled:
            node.post_message(message)

    return node.run_worker(
        job, name=group, group=group, thread=True, exclusive=exclusive, exit_on_error=False
    )


def _closed(exc: Exception) -> bool:
    """The journal is closed: the app is quitting (or quit before it opened)."""
    from charlie_worker import JournalClosedError

    return isinstance(exc, JournalClosedError)

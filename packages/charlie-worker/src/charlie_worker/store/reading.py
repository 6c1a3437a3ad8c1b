"""The user's hand on reading: pause and resume it, hold it while they type, and retry every
entry whose reading failed.

The pause is a flag in the database (``PAUSED_KEY``), so it is remembered across restarts of
the app; the app does not run its worker while it is set. The hold (``HOLD_KEY``) is a flag
that expires by itself ``HOLD_S`` after the last keystroke: while it lives the worker starts
no new entry (it finishes the one it is on and keeps its model), so typing never competes
with the model for the CPU, and an app that dies mid-sentence cannot hold reading for ever.
``Reading`` is the door, reached as ``Journal.reading``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from .connection import get_redis
from .episode_state import FAILED, scan_episodes

PAUSED_KEY = "charlie:reading-paused"
HOLD_KEY = "charlie:reading-hold"
HOLD_S = 4.0
"""How long after the last keystroke the worker waits before it starts another entry."""

Guard = Callable[[], AbstractContextManager[None]]


def is_paused() -> bool:
    return bool(get_redis().exists(PAUSED_KEY))


def set_paused(paused: bool) -> None:
    if paused:
        get_redis().set(PAUSED_KEY, "1")
    else:
        get_redis().delete(PAUSED_KEY)


def hold(seconds: float = HOLD_S) -> None:
    """Start no new entry for ``seconds`` from now (each keystroke renews it)."""
    get_redis().set(HOLD_KEY, "1", px=max(1, int(seconds * 1000)))


def release_hold() -> None:
    get_redis().delete(HOLD_KEY)


def held_for() -> float:
    """Seconds the hold has left; 0 when reading is not held."""
    left_ms = get_redis().pttl(HOLD_KEY)
    return left_ms / 1000 if left_ms > 0 else 0.0


def failed_entries(journal: str) -> list[str]:
    """The entries of ``journal`` whose reading failed (one SCAN, bounded by the backlog)."""
    return sorted(
        episode_uuid
        for episode_uuid, (status, of_journal) in scan_episodes("status", "journal")
        if status == FAILED and of_journal == journal
    )


class Reading:
    """Pause, resume and retry, under the journal's open guard; ``retry`` queues one failed
    entry again (``Journal.retry``)."""

    def __init__(self, journal: str, guard: Guard, retry: Callable[[str], None]) -> None:
        self.journal = journal
        self._guard = guard
        self._retry = retry

    def paused(self) -> bool:
        with self._guard():
            return is_paused()

    def pause(self) -> None:
        with self._guard():
            set_paused(True)

    def resume(self) -> None:
        with self._guard():
            set_paused(False)

    def hold(self) -> None:
        """The user is typing: the worker starts no new entry until ``HOLD_S`` after this."""
        with self._guard():
            hold()

    def release(self) -> None:
        """The user stopped typing (the editor closed): reading goes on at once."""
        with self._guard():
            release_hold()

    def retry_failed(self) -> int:
        """Queue every failed entry again; returns how many."""
        with self._guard():
            failed = failed_entries(self.journal)
        for episode_uuid in failed:
            self._retry(episode_uuid)
        return len(failed)

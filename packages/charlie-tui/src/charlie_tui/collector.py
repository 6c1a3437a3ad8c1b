"""The garbage collector's full passes, run while the user is not pressing keys.

Why: a full pass walks every object the app has not frozen (``gc.freeze`` once the journal is
open). Those are some 30,000, mostly Textual's render caches of what is on screen, and they
point at the ~120,000 frozen ones: walking those references takes 25-45 ms on these machines,
53-73 ms with the worker busy (bench ``ui_latency``), against ~2 ms for as many objects that
point at nothing. CPython starts a full pass once ten passes of the younger objects have run
since the last one, and it is drawing that makes objects: so the pass came in the middle of a
key press, the slowest ones of both the idle and the busy phase.

So CPython's own trigger is pushed far off (``DEFERRED_PASSES``: someone who never stops
typing still gets a pass now and then), and the app asks for the pass itself at its poll
(once a second), when no key or mouse event came for ``IDLE_S`` and CPython would have run
one by then. The younger generations' passes stay CPython's: ~0.1-4 ms each.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_S = 1.0
"""No key or mouse event for this long: the user is reading, not typing."""
DEFERRED_PASSES = 1000
"""Younger passes after which CPython runs a full one anyway (its default is 10)."""


class IdleCollector:
    """Moves the full passes of ``gc`` to the moments the user is idle, between ``start`` and
    ``stop`` (which gives CPython its trigger back: an app run inside a longer process, as in
    the tests, leaves the collector as it found it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_input = clock()
        self._thresholds: tuple[int, int, int] | None = None
        """CPython's thresholds while started: the third is when a full pass is due."""

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, _ = self._thresholds
            gc.set_threshold(young, middle, DEFERRED_PASSES)

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def tick(self) -> bool:
        """Run a full pass if it is due and the user is idle; whether one ran."""
        if self._thresholds is None or self._clock() - self._last_input < IDLE_S:
            return False
        if gc.get_count()[2] < self._thresholds[2]:
            return False
        gc.collect()
        return True

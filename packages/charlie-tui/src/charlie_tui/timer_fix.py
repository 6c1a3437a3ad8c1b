"""Textual's timers wait one period too many after they fall behind (Textual 8.2.8).

``Timer._run`` skips the ticks it missed with ``count = int((now - start) / interval + 1)``,
and the loop then waits for tick ``count + 1``: after a pause or a slow frame the next tick
comes one to two periods later, where it should be the first tick due after now. The
screen's update timer (60 a second) is such a timer: while the worker reads, each poll draws
a frame, and a key pressed in the ~33 ms after it waited for that late tick
(``bench/ui_latency.py --off-cpu``: the event loop asleep in ``epoll_wait`` for the timeout
the timer asked, 14-29 ms, in the slowest key presses). No Textual release fixes it yet.

``install()`` gives ``Timer`` the same loop, skipping to the first tick due after now
(``first_tick_due``). The app installs it when it is created.
"""

from __future__ import annotations

import math

from textual import _time
from textual._time import sleep
from textual.timer import EventTargetGone, Timer


def first_tick_due(start: float, interval: float, now: float) -> int:
    """How many ticks of a timer started at ``start`` are past at ``now``: the next one to
    wait for is the one after them."""
    return math.floor((now - start) / interval)


async def _run(self: Timer) -> None:
    """``Timer._run`` of Textual 8.2.8, its skip made ``first_tick_due``."""
    count = 0
    _repeat = self._repeat
    _interval = self._interval
    self._active  # noqa: B018 (creates the event in this thread, as Textual does)
    await self._active.wait()
    start = _time.get_time()

    while _repeat is None or count <= _repeat:
        next_timer = start + ((count + 1) * _interval)
        now = _time.get_time()
        if self._skip and next_timer < now:
            count = first_tick_due(start, _interval, now)
            continue
        await sleep(max(0, next_timer - _time.get_time()))
        count += 1
        await self._active.wait()
        if self._reset:
            start = _time.get_time()
            count = 0
            self._reset = False
            continue
        try:
            await self._tick(next_timer=next_timer, count=count)
        except EventTargetGone:
            break


def install() -> None:
    """Make every ``Timer`` of this process skip to the first tick due (idempotent)."""
    Timer._run = _run  # type: ignore[method-assign]

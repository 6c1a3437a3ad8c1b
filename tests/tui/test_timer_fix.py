"""Textual's timers after they fall behind: the next tick is the first one due, where
Textual 8.2.8's own loop waits a period more (``charlie_tui.timer_fix``). On a virtual clock:
nothing here waits or times anything."""

from __future__ import annotations

import asyncio

import pytest
from textual import _time
from textual import timer as textual_timer
from textual.timer import EventTargetGone, Timer

from charlie_tui import timer_fix
from charlie_tui.app import CharlieApp


class Target:
    """What a timer ticks for (it keeps only a weak reference)."""


def due_ticks(monkeypatch: pytest.MonkeyPatch, slow: float) -> list[float]:
    """When each of a 1-second timer's first three ticks was due, the first one's frame
    taking ``slow`` seconds."""
    clock = [0.0]

    async def virtual_sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(_time, "get_time", lambda: clock[0])
    monkeypatch.setattr(timer_fix, "sleep", virtual_sleep)
    monkeypatch.setattr(textual_timer, "sleep", virtual_sleep)
    due: list[float] = []

    class Recorded(Timer):
        async def _tick(self, *, next_timer: float, count: int) -> None:
            due.append(next_timer)
            if len(due) == 1:
                clock[0] += slow
            if len(due) == 3:
                raise EventTargetGone()

    target = Target()
    asyncio.run(timer_fix._run(Recorded(target, 1.0)))
    return due


def test_after_a_slow_frame_the_next_tick_is_the_first_one_due(monkeypatch) -> None:
    assert due_ticks(monkeypatch, slow=2.5) == [1.0, 4.0, 5.0]  # 8.2.8's own: 1, 5, 6


def test_on_time_ticks_are_every_period(monkeypatch) -> None:
    assert due_ticks(monkeypatch, slow=0.0) == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(("now", "past"), [(3.5, 3), (3.0, 3), (1.01, 1), (0.2, 0)])
def test_the_ticks_past(now: float, past: int) -> None:
    assert timer_fix.first_tick_due(0.0, 1.0, now) == past


def test_the_app_installs_it() -> None:
    CharlieApp(start_worker=False)
    assert Timer._run is timer_fix._run

"""The app keeps what it holds once the journal is open out of the garbage collector's full
passes (``gc.freeze``), runs the full passes of the rest while the user is idle
(``collector.IdleCollector``), and gives both back when it ends. Real app, real embedded
database; the collector's timing on a clock the test moves."""

from __future__ import annotations

import gc

import pytest

from charlie_tui import collector as collector_module
from charlie_tui.app import CharlieApp
from charlie_tui.collector import DEFERRED_PASSES, IDLE_S, IdleCollector


async def test_what_the_app_holds_once_open_is_kept_out_of_full_collections(
    tui, journal, monkeypatch
):
    """Frozen once open; the full passes of the rest wait for a pause in the keys."""
    monkeypatch.setattr(collector_module, "IDLE_S", 3.0)
    before = gc.get_freeze_count()  # the interpreter freezes a few hundred of its own
    thresholds = gc.get_threshold()
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, what="the journal")
        assert gc.get_freeze_count() > before + 10_000
        assert gc.get_threshold() == (*thresholds[:2], DEFERRED_PASSES)
        full_passes_due()
        # No key since the app started: a poll runs the full pass CPython would have.
        await tui.wait_for(pilot, lambda: gc.get_count()[2] < 10, what="a full pass", timeout=10)
        await pilot.press("down")
        full_passes_due()
        await pilot.pause(1.0)  # five polls, a key a second ago
        assert gc.get_count()[2] >= 10
        await tui.wait_for(pilot, lambda: gc.get_count()[2] < 10, what="a full pass", timeout=10)
        await pilot.press("q")
    assert gc.get_freeze_count() <= before
    assert gc.get_threshold() == thresholds


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def full_passes_due() -> None:
    """Enough passes of the younger objects that CPython's default would run a full one (and
    far fewer than the app's deferred trigger)."""
    assert gc.get_threshold()[2] in (10, DEFERRED_PASSES)
    while gc.get_count()[2] < 10:
        gc.collect(1)


@pytest.fixture
def collector():
    clock = Clock()
    collector = IdleCollector(clock)
    thresholds = gc.get_threshold()
    collector.start()
    yield collector, clock
    collector.stop()
    assert gc.get_threshold() == thresholds


def test_a_full_pass_waits_for_the_user_to_pause(collector) -> None:
    collector, clock = collector
    full_passes_due()  # under the deferred threshold: CPython itself would not run one
    collector.input_seen()
    clock.now += IDLE_S / 2
    assert not collector.tick()  # typing
    assert gc.get_count()[2] >= 10
    clock.now += IDLE_S
    assert collector.tick()  # a pause
    assert gc.get_count()[2] == 0


def test_no_full_pass_before_one_is_due(collector) -> None:
    collector, clock = collector
    gc.collect()
    clock.now += 10 * IDLE_S
    assert not collector.tick()
    full_passes_due()
    assert collector.tick()


def test_nothing_runs_before_start_or_after_stop() -> None:
    clock = Clock()
    collector = IdleCollector(clock)
    thresholds = gc.get_threshold()
    clock.now += 10 * IDLE_S
    full_passes_due()
    assert not collector.tick()
    collector.start()
    collector.stop()
    assert gc.get_threshold() == thresholds
    assert not collector.tick()

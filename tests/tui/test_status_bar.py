"""The status line lays the screen out again only when one of its parts changes width: while
the worker reads, every poll rewrites the reading progress and often the queue count, and a
layout (6-16 ms of the event loop at 120x30 here) delays a key pressed meanwhile.

On a real Textual app holding the status bar.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.reactive import reactive
from textual.widgets import Label

from charlie_tui.runtime import Snapshot
from charlie_tui.widgets.status_bar import StatusBar, StatusView
from charlie_tui.worker_process import ProcessState
from charlie_worker import QueueState, WorkerStatus


class Bar(App[None]):
    status_view: reactive[StatusView] = reactive(StatusView)

    def compose(self) -> ComposeResult:
        yield StatusBar()


def reading(waiting: int, read: int) -> StatusView:
    """The worker reading its ``read + 1``-th entry of ``read + waiting``."""
    worker = WorkerStatus(True, 7, "llm", "", loads=1, unloads=0, activity="reading", read=read)
    running = ProcessState("running", pid=7)
    return StatusView("open", Snapshot(running, worker, QueueState(waiting, 0, version=0)))


def parts(app: Bar) -> list[str]:
    return [str(label.render()) for label in app.query("StatusBar Label").results(Label)]


async def test_reading_progress_is_shown_without_laying_the_screen_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Bar()
    async with app.run_test(size=(100, 3)) as pilot:
        app.status_view = reading(waiting=12, read=3)
        await pilot.pause()
        layouts: list[Any] = []
        layout = app.screen._refresh_layout
        monkeypatch.setattr(
            app.screen, "_refresh_layout", lambda *a, **k: layouts.append(a) or layout(*a, **k)
        )

        app.status_view = reading(waiting=11, read=4)  # the same widths
        await pilot.pause()
        assert parts(app) == ["Worker running", "Reading entry 5 of 15", "11 waiting"]
        assert layouts == []

        app.status_view = reading(waiting=9, read=6)  # "9 waiting" is narrower
        await pilot.pause()
        assert parts(app) == ["Worker running", "Reading entry 7 of 15", "9 waiting"]
        assert layouts

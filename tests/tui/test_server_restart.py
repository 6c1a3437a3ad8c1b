"""The app's database server killed under it: the app starts it again, restarts the worker on
it, tells the user, and every entry saved before is there. (The worker's side, on a backlog,
read exactly once: ``robustness/test_server_kill.py``.)"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from charlie_tui.app import SERVER_RESTARTED, CharlieApp
from charlie_worker.store.connection import server_pid
from kit.processes import alive

pytestmark = pytest.mark.slow


async def test_a_killed_database_server_is_started_again_and_the_user_told(tui, data_dir) -> None:
    app = CharlieApp(clock=tui.clock, poll_interval=0.2)
    told: list[str] = []
    notify = app.notify

    def spy(message: str, **kwargs: object) -> None:
        told.append(message)
        notify(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:

        def status() -> str:
            return "  ".join(str(label.render()) for label in app.screen.query("StatusBar Label"))

        await tui.wait_for(pilot, lambda: "Worker running" in status(), 60, "the worker")
        uuid = await asyncio.to_thread(app.journal.add, "Saved just before the crash.")
        process = app.runtime.process
        assert process is not None
        first_worker, first_server = process.state().pid, server_pid()  # the app's own
        os.kill(first_server, signal.SIGKILL)

        await tui.wait_for(pilot, lambda: SERVER_RESTARTED in told, 30, "the notice")
        await tui.wait_for(
            pilot,
            lambda: process.state().pid not in (None, first_worker) and "running" in status(),
            60,
            "the worker on the new server",
        )
        assert server_pid() not in (0, first_server)
        tui.wait_until(lambda: not alive(first_worker), 30, "the old worker to exit")
        entry = await asyncio.to_thread(app.journal.entry, uuid)
        assert entry is not None and entry.content == "Saved just before the crash."
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, 60, "the exit")
    assert tui.redis_servers_under(data_dir) == []

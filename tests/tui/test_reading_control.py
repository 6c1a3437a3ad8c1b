"""Pause and resume reading from the app (remembered in the database, so across restarts),
and retry every failed entry at once."""

from __future__ import annotations

import pytest
from textual.widgets import Label, Log, OptionList

from charlie_tui.app import CharlieApp
from charlie_tui.runtime import Runtime
from charlie_tui.screens.worker_log import WorkerLogScreen
from charlie_worker import Journal
from charlie_worker.store.reading import failed_entries, is_paused


def status_text(app: CharlieApp) -> str:
    labels = app.screen.query("StatusBar Label").results(Label)
    return "  ".join(str(label.render()) for label in labels)


async def run_command(pilot, tui, title: str) -> None:
    """Pick ``title`` in the command palette."""
    await pilot.press("ctrl+p", *title.lower())
    palette = pilot.app.screen.query_one(OptionList)

    def first() -> str:
        return str(palette.get_option_at_index(0).prompt) if palette.option_count else ""

    await tui.wait_for(pilot, lambda: first().startswith(title), what=title)
    await pilot.press("enter")


async def test_pause_and_resume_from_the_palette(tui, journal) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.status_view.snapshot is not None, what="a poll")
        await run_command(pilot, tui, "Pause reading")
        await tui.wait_for(pilot, lambda: "Reading paused" in status_text(app), what="paused")
        assert is_paused()
        await run_command(pilot, tui, "Resume reading")
        await tui.wait_for(pilot, lambda: "Worker off" in status_text(app), what="resumed")
        assert not is_paused()


async def test_retry_every_failed_entry(tui, journal) -> None:
    tui.seed("Another bad one.", tui.ago(days=2), state="failed")
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: "2 failed" in status_text(app), what="the failures")
        await run_command(pilot, tui, "Retry every failed entry")
        await tui.wait_for(pilot, lambda: "4 waiting" in status_text(app), what="the retries")
        assert "failed" not in status_text(app)
        assert failed_entries("default") == []


def test_failed_entries_are_those_of_the_journal(tui, data_dir) -> None:
    mine = tui.seed("Failed here.", tui.ago(hours=1), state="failed")
    from charlie_worker.store import entries
    from charlie_worker.store.episode_state import set_episode_failed

    other = entries.add_entry("Failed elsewhere.", "other")
    set_episode_failed(other, "no")
    assert failed_entries("default") == [mine]
    journal = Journal()
    journal.open()
    assert journal.reading.retry_failed() == 1
    assert failed_entries("other") == [other]


@pytest.mark.slow
def test_a_paused_journal_starts_no_worker_until_resumed(tui, data_dir) -> None:
    """The real worker subprocess: not started while paused (even by a new app), started on
    resume, stopped on pause."""
    journal = Journal()
    journal.open()
    journal.reading.pause()
    runtime = Runtime()
    try:
        runtime.open()
        snapshot = runtime.poll()
        assert snapshot.paused and snapshot.process.phase == "stopped"
        runtime.resume()
        snapshot = runtime.poll()
        assert not snapshot.paused and snapshot.process.phase == "running"
        pid = snapshot.process.pid
        tui.wait_until(lambda: runtime.poll().worker.pid == pid, 60, "the worker to report")
        runtime.pause()
        assert runtime.poll().process.phase == "stopped"
        assert tui.workers_of(data_dir) == []
    finally:
        runtime.close()


async def test_the_worker_log_from_the_palette(tui, journal, data_dir) -> None:
    log = data_dir / "logs" / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"line {i}\n" for i in range(1500)) + "entry abc: failed\n")
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.status_view.snapshot is not None, what="a poll")
        await run_command(pilot, tui, "Worker log")
        await tui.wait_for(  # pushed before its widgets are mounted: wait for the log itself
            pilot,
            lambda: isinstance(app.screen, WorkerLogScreen) and bool(app.screen.query(Log)),
            what="log",
        )
        shown = app.screen.query_one(Log)
        await tui.wait_for(pilot, lambda: shown.line_count == 1000, what="the lines")
        assert shown.lines[-1] == "entry abc: failed"
        assert shown.lines[0] == "line 501"


async def test_typing_holds_reading_until_the_editor_closes(tui, journal) -> None:
    from charlie_tui.screens.editor import EditorScreen
    from charlie_worker.store.reading import held_for

    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, what="the journal")
        await pilot.press("ctrl+n")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), what="editor")
        assert held_for() == 0  # opening the editor is not typing
        await pilot.press(*"Met Ada")
        await tui.wait_for(pilot, lambda: held_for() > 0, what="the hold")
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: held_for() == 0, what="the hold released")
        assert not isinstance(app.screen, EditorScreen)

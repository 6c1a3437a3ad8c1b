"""The app keeps what it holds once the journal is open out of the garbage collector's full
passes (``gc.freeze``), and gives it back when it ends. Real app, real embedded database."""

from __future__ import annotations

import gc

from charlie_tui.app import CharlieApp


async def test_what_the_app_holds_once_open_is_kept_out_of_full_collections(tui, journal):
    before = gc.get_freeze_count()  # the interpreter freezes a few hundred of its own
    app = CharlieApp(start_worker=False, clock=tui.clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: app.journal.is_open, what="the journal")
        assert gc.get_freeze_count() > before + 10_000
        await pilot.press("q")
    assert gc.get_freeze_count() <= before

"""The footer's keys: built again only when the keys on offer change, and the keys it
replaced are let go (Textual's own footer kept each of them alive: Textualize/textual#6666).

On the real app and a real embedded database, without the worker process.
"""

from __future__ import annotations

import gc
import weakref

from textual.widgets._footer import FooterKey

from charlie_tui.app import CharlieApp
from charlie_tui.widgets.entry_table import EntryTable
from kit.tables import table_rows

SIZE = (120, 30)


def footer_keys(app: CharlieApp) -> list[FooterKey]:
    return list(app.screen.query(FooterKey).results(FooterKey))


def highlighted_state(app: CharlieApp) -> str:
    row = app.screen.query_one(EntryTable).highlighted
    assert row is not None
    return row.entry.state


async def test_moving_between_alike_entries_keeps_the_footer(tui, journal) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock)
    async with app.run_test(size=SIZE) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 5, what="the list")
        await tui.settle(pilot)
        assert highlighted_state(app) == "waiting"
        before = footer_keys(app)
        await pilot.press("down")  # onto the entry being read: the same keys
        await tui.settle(pilot)
        assert highlighted_state(app) == "reading"
        assert footer_keys(app) == before
        assert "retry" not in {key.action for key in before}

        while highlighted_state(app) != "failed":
            await pilot.press("down")
        await tui.settle(pilot)
        assert "retry" in {key.action for key in footer_keys(app)}


async def test_the_footer_lets_go_of_the_keys_it_replaced(tui, journal) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock)
    async with app.run_test(size=SIZE) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 5, what="the list")
        replaced: list[weakref.ref[FooterKey]] = []  # not ids: a freed key's id is reused
        for _ in range(20):
            replaced.extend(map(weakref.ref, footer_keys(app)))
            app.screen.refresh_bindings()  # builds every key again
            await tui.settle(pilot)
        shown = footer_keys(app)
        assert not any(ref() in shown for ref in replaced), "the keys were not built again"
        gc.collect()
        assert [ref for ref in replaced if ref() is not None] == []
        alive = [o for o in gc.get_objects() if isinstance(o, FooterKey)]
        assert sorted(map(id, alive)) == sorted(map(id, shown))

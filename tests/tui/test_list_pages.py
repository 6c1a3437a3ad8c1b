"""The list holds the whole journal: it reads one page more as the cursor nears the end, and a
reload after a change keeps every page already shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from charlie_tui.app import CharlieApp
from charlie_tui.screens import entries as entries_screen
from charlie_worker.store import journal as store_journal
from charlie_worker.store.entries import NewEntry, add_entries

SIZE = (120, 30)
PAGE = 5


@pytest.fixture
def long_journal(data_dir, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(store_journal, "LIST_LIMIT", PAGE)  # the list's page, the store's
    monkeypatch.setattr(entries_screen, "MORE_MARGIN", 2)
    start = datetime(2024, 6, 14, 9, 0, tzinfo=UTC)
    return add_entries([NewEntry(f"entry {n}", start - timedelta(days=n)) for n in range(13)])


async def test_scrolling_down_reads_the_rest_of_the_journal(tui, long_journal) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        table = await tui.entry_list(pilot)
        # A first page that does not fill the view may be followed by the next at once (the
        # view is at its end): a poll on a busy machine can miss the first alone.
        await tui.wait_for(pilot, lambda: len(table.entries) >= PAGE, what="the first page")
        assert app.screen.sub_title == "13 entries"
        seen = [len(table.entries)]
        while len(table.entries) < 13:
            await pilot.press("pagedown")
            await tui.wait_for(
                pilot, lambda n=seen[-1]: len(table.entries) > n, what="one more page"
            )
            seen.append(len(table.entries))
        assert set(seen) <= {PAGE, 2 * PAGE, 13}  # whole pages, never a cap
        assert [row.entry.uuid for row in table.entries] == long_journal
        assert table.highlighted is not None
        # Nothing more to read: the end of the journal reads no further page.
        await pilot.press("pagedown")
        await tui.settle(pilot)
        assert app.screen._shown == 3 * PAGE  # type: ignore[attr-defined]
        # A change reloads everything shown, not just the first page.
        app.screen.reload()  # type: ignore[attr-defined]
        await tui.settle(pilot)
        assert len(table.entries) == 13

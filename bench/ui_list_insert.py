"""The entry list taking in a backlog's new entries: the event loop's CPU time from
``EntryTable.show`` of 240 entries over the 200 shown (40 new at the top) to the list settled,
now vs on the code of ``--before REV``.

Why: in bench/ui_latency.py runs the slowest key presses while the worker read a backlog were
the list taking in the backlog's 40 entries at once (~85 ms of the event loop's CPU, the
press waiting behind it). This isolates that step: no worker, no database.

Each run is a child process (the packages of ``REV`` exported with ``_common.code_at`` for
"before") holding a headless app with the real ``EntryTable`` (the app's stylesheet) at
120x24, the list's size in a 120x30 terminal. Per sample: 200 entries shown under their
headings (read, with what was found), the cursor on the second, then the same plus 40 new
entries of today (waiting) at the top. Measured on the event loop's thread
(``time.thread_time``): ``show`` itself, and ``show`` to settled: two pilot pauses, each
handling what is pending (DataTable measures the rows added when idle) then drawing a
frame, the second for DataTable's scroll to the cursor, deferred until after the first.
Runs alternate now/before (ABBA); figures are medians over every sample of a mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import alternating, code_at, entry_texts, machine, median, ratio, table

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
SHOWN = 200
NEW = 40
SIZE = (120, 24)


def rows(texts: list[str]) -> tuple[list[object], list[object]]:
    """The list before (``SHOWN`` read entries an hour apart) and after (``NEW`` more)."""
    from kit.entry_rows import entry_row

    def entry(n: int, hours_ago: float, state: str) -> object:
        found = [f"Name {n}.{k}" for k in range(2)] if state == "done" else []
        return entry_row(f"entry-{n}", NOW - timedelta(hours=hours_ago), state, found, texts[n])

    old = [entry(NEW + i, 2 + i, "done") for i in range(SHOWN)]
    new = [entry(i, 1 - i / (2 * NEW), "waiting") for i in range(NEW)]
    return old, new + old


async def samples(count: int) -> dict[str, list[float]]:
    """Run in the child: ``count`` samples of show and of show to settled, in ms."""
    from textual.app import App, ComposeResult

    import charlie_tui
    from charlie_tui.widgets.entry_table import EntryTable

    class List(App[None]):
        CSS_PATH = Path(charlie_tui.__file__).parent / "charlie.tcss"

        def compose(self) -> ComposeResult:
            yield EntryTable(id="entries")

    before, after = rows(entry_texts(SHOWN + NEW))
    measured: dict[str, list[float]] = {"show": [], "settled": []}
    app = List()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(EntryTable)
        for _ in range(count + 1):  # the first is a warm-up
            table.show([], NOW, grouped=True)
            table.show(before, NOW, grouped=True)  # type: ignore[arg-type]
            await pilot.pause()
            await pilot.pause()
            table.move_cursor(row=2)  # the second entry, under the heading
            await pilot.pause()
            started = time.thread_time()
            table.show(after, NOW, grouped=True)  # type: ignore[arg-type]
            shown = time.thread_time()
            await pilot.pause()
            await pilot.pause()
            settled = time.thread_time()
            assert table.highlighted == before[1], "the cursor left its entry"
            measured["show"].append((shown - started) * 1000)
            measured["settled"].append((settled - started) * 1000)
    return {name: values[1:] for name, values in measured.items()}


def child(mode: str, revision: str | None, count: int) -> dict[str, list[float]]:
    command = [sys.executable, __file__, "--child", str(count)]
    if mode == "now":
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    else:
        assert revision is not None
        with code_at(revision) as env:
            output = subprocess.run(
                command, check=True, capture_output=True, text=True, env={**os.environ, **env}
            ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="also measure this commit's code")
    parser.add_argument("--reps", type=int, default=4, help="runs per mode (default 4)")
    parser.add_argument("--samples", type=int, default=10, help="samples per run (default 10)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(asyncio.run(samples(args.child))))
        return

    modes = ["now", "before"] if args.before else ["now"]
    pooled: dict[str, dict[str, list[float]]] = {m: {"show": [], "settled": []} for m in modes}
    for _, mode in alternating(modes, args.reps):
        for name, values in child(mode, args.before, args.samples).items():
            pooled[mode][name].extend(values)
    figures = {m: {n: median(v) for n, v in pooled[m].items()} for m in modes}
    labels = {"now": "now", "before": f"before ({args.before})"}
    print(
        table(
            ["code", "show ms", "show to settled ms", "samples"],
            [
                [labels[m], f["show"], f["settled"], len(pooled[m]["settled"])]
                for m, f in figures.items()
            ],
        )
    )
    print(machine())
    summary = (
        f"now: show {figures['now']['show']:.1f} ms, settled {figures['now']['settled']:.1f} ms"
    )
    if args.before:
        before = figures["before"]
        summary += (
            f"; before/now {ratio(before['show'], figures['now']['show']):.2f}x (show), "
            f"{ratio(before['settled'], figures['now']['settled']):.2f}x (settled)"
        )
    print(f"SUMMARY ui_list_insert: {NEW} new entries over {SHOWN} shown, {summary}")


if __name__ == "__main__":
    main()

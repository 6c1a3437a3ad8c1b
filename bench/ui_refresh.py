"""The UI's refresh cost per tick at 10, 1,000 and 10,000 entries: it must not grow.

Why: once a second the app polls the journal from a thread. That thread shares the GIL (and
redis, single-threaded, shares the CPU) with everything else, so its cost must be the same for
a new journal and for years of entries with an import's backlog waiting. This runs the code
path the app runs each tick, through the ``Journal`` facade and the app's ``Runtime``, on
one journal grown to each size in turn, every entry still waiting to be read (the worst case:
every entry has a redis hash):

* "idle": nothing changed: ``Runtime.poll()`` (the pause flag, the worker's report, the
  queue's counts and the change version);
* "change": one entry on the page changed state, as while the worker reads the backlog:
  the poll, ``Journal.changes`` and ``Journal.rows`` of that entry (what the list then reads).

For contrast, the tick before the change log, on the same data: a SCAN of every entry's hash
and, on a change, the whole first page (200 entries with their entities) and the count. Sizes
grow in one run (an import of the difference, in bulk through ``Journal.add_backlog``); at
each size the two modes alternate (ABBA), then the two old ones; figures are medians, printed
as ratios to the 10-entry figure.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _common import alternating, entry_texts, machine, median, private_db, ratio, table

SIZES = (10, 1_000, 10_000)
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def grow(journal: object, have: int, want: int) -> None:
    """Import entries ``have`` to ``want``, an hour apart going back (no model, no worker)."""
    from charlie_worker import NewEntry

    texts = entry_texts(want)[have:]
    items = [NewEntry(t, START - timedelta(hours=have + i)) for i, t in enumerate(texts)]
    journal.add_backlog(items)  # type: ignore[attr-defined]
    quiet()


def quiet() -> None:
    """Wait until redis rewrites no file in the background: the import grew the AOF, and its
    rewrite (a fork and a disk copy) would land in the samples of one size only."""
    from charlie_worker.store.connection import get_redis

    while True:
        info = get_redis().info("persistence")
        if not (info["aof_rewrite_in_progress"] or info["rdb_bgsave_in_progress"]):
            return
        time.sleep(0.2)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(args: argparse.Namespace) -> dict[tuple[int, str], list[float]]:
    from charlie_tui.runtime import Runtime
    from charlie_worker import LIST_LIMIT
    from charlie_worker.store.episode_state import (
        mark_episode_processing,
        release_episode,
        scan_episodes,
    )

    runtime = Runtime(start_worker=False)
    journal = runtime.open()
    samples: dict[tuple[int, str], list[float]] = {}
    have = 0
    for size in SIZES:
        grow(journal, have, size)
        have = size
        page = [row.entry.uuid for row in journal.entries(LIST_LIMIT)]
        claims: dict[str, str] = {}

        def worker_step(i: int, page: list[str] = page, claims: dict[str, str] = claims) -> None:
            """A worker's step between two ticks: an entry on the page starts or stops being
            read (stopping gives the claim back, so the entry can be claimed again)."""
            uuid = page[i % len(page)]
            if uuid in claims:
                assert release_episode(uuid, claims.pop(uuid))
            else:
                token = mark_episode_processing(uuid, "bench:1")
                assert token is not None
                claims[uuid] = token

        since = journal.queue().version

        def idle() -> None:
            runtime.poll()

        def change(page: list[str] = page) -> None:
            nonlocal since
            snapshot = runtime.poll()
            assert snapshot.queue.version != since, "the worker's step changed nothing"
            changes = journal.changes(since)
            since = changes.version
            shown = sorted(changes.entries & set(page))
            assert shown and not changes.everything
            journal.rows(shown)

        def old_idle() -> None:
            runtime.journal.worker_status()
            scan_episodes("status", "processing_since")

        def old_change() -> None:
            old_idle()
            journal.entries(LIST_LIMIT)
            journal.count()

        modes = {"idle": idle, "change": change, "old idle": old_idle, "old change": old_change}
        step = 0
        for mode in modes.values():  # warm up: scripts compiled, connections made
            worker_step(step)
            step += 1
            mode()
        for pair in (("idle", "change"), ("old idle", "old change")):
            for _, mode in alternating(pair, args.reps):
                gc.collect()  # the old tick's garbage is collected outside any sample
                for _ in range(args.ticks):
                    if "change" in mode:
                        worker_step(step)
                        step += 1
                    samples.setdefault((size, mode), []).append(timed(modes[mode]))
        print(f"{size} entries: done", flush=True)
    runtime.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4, help="ABBA blocks per size (default 4)")
    parser.add_argument("--ticks", type=int, default=25, help="ticks per block (default 25)")
    args = parser.parse_args()
    with private_db():
        samples = measure(args)

    modes = ("idle", "change", "old idle", "old change")
    base = {mode: median(samples[(SIZES[0], mode)]) for mode in modes}
    rows = [
        [f"{size:,}", *(median(samples[(size, m)]) for m in modes)]
        + [f"{ratio(median(samples[(size, m)]), base[m]):.2f}x" for m in modes]
        for size in SIZES
    ]
    headers = ["entries", *(f"{m} ms" for m in modes), *(f"{m} /10" for m in modes)]
    print()
    print(table(headers, rows))
    print(machine())
    last = SIZES[-1]
    print(
        "SUMMARY ui_refresh: per-tick cost at "
        + ", ".join(f"{s:,}" for s in SIZES)
        + " entries as ratios to 10: idle "
        + " / ".join(f"{ratio(median(samples[(s, 'idle')]), base['idle']):.2f}x" for s in SIZES)
        + ", change "
        + " / ".join(f"{ratio(median(samples[(s, 'change')]), base['change']):.2f}x" for s in SIZES)
        + f" (before the change log, a change at {last:,}: "
        + f"{ratio(median(samples[(last, 'old change')]), base['old change']):.0f}x)"
    )


if __name__ == "__main__":
    main()

"""Soak: N entries enqueued as fast as the app can save them, then read by the real worker.

Why: a user importing an old diary (or a stuck worker coming back) produces a backlog of
hundreds or thousands of entries at once. This checks that all of them are read, that redis
stays bounded while they wait (one ``episode:*`` hash and one queued task per entry, nothing
left behind once read: no hash, no task, no Huey result key), and reports the throughput.

Entries go through ``save_entry`` (saved and queued, appendfsync always, as in the app) in a
private data dir; the real ``charlie-worker`` subprocess reads them with the real model. The
default N=100 takes a few minutes on 2 cores; ``--n 1000`` is the full soak (tens of minutes).

    uv run python bench/soak_load.py --n 100
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter

from _common import (
    entry_texts,
    episode_keys,
    failed,
    leftover_processes,
    machine,
    private_db,
    rss_mb,
    wait_until,
    worker,
    worker_ready,
)

KEY_KINDS = (
    ("episode", re.compile(r"episode:.*")),
    ("graph", re.compile(r"journal:.*")),
    ("falkordb telemetry", re.compile(r"telemetry\{.*\}")),
    ("huey queue", re.compile(r"huey\.redis\..*")),
    ("huey schedule", re.compile(r"huey\.schedule\..*")),
    ("huey results", re.compile(r"huey\.results\..*")),
    ("worker status", re.compile(r"charlie:worker")),
    ("change log", re.compile(r"charlie:changes(:version)?")),
    ("waiting/failed sets", re.compile(r"charlie:episodes:(waiting|failed)")),
    ("worker lease", re.compile(r"charlie:lease:.*")),
)


def key_counts() -> Counter[str]:
    from charlie_worker.store.connection import get_redis

    counts: Counter[str] = Counter()
    for key in get_redis().scan_iter(count=1000):
        kind = next((name for name, rx in KEY_KINDS if rx.fullmatch(key)), f"OTHER {key}")
        counts[kind] += 1
    return counts


def used_memory() -> int:
    from charlie_worker.store.connection import get_redis

    return int(get_redis().info("memory")["used_memory"])


def show(label: str, memory: int, counts: Counter[str]) -> None:
    keys = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    print(f"{label:<22} used_memory {memory / 2**20:7.2f} MiB   keys: {keys}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="entries to enqueue (default 100)")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for the backlog (default 30*N)"
    )
    args = parser.parse_args()
    n: int = args.n
    timeout = args.timeout if args.timeout is not None else 30.0 * n + 120

    from charlie_worker.store.connection import get_redis, server_pid
    from charlie_worker.store.graphs import select_graph
    from charlie_worker.store.journal import save_entry
    from charlie_worker.store.queue import bind_queue
    from charlie_worker.store.worker_state import read_status

    problems: list[str] = []
    with private_db() as data:
        huey = bind_queue()
        texts = entry_texts(n)
        select_graph("default")  # the empty graph and its indexes: not a per-entry cost
        base_mem, base_keys = used_memory(), key_counts()
        server_rss = [rss_mb(server_pid())]
        show("empty journal", base_mem, base_keys)

        started = time.perf_counter()
        uuids = [save_entry(text) for text in texts]
        enqueue_s = time.perf_counter() - started
        queued_mem, queued_keys = used_memory(), key_counts()
        show(f"{n} enqueued", queued_mem, queued_keys)
        print(
            f"enqueue: {n} entries in {enqueue_s:.2f} s = {n / enqueue_s:.0f} entries/s "
            f"({1000 * enqueue_s / n:.1f} ms each); redis +{(queued_mem - base_mem) / n:.0f} B "
            f"per waiting entry; huey queue {huey.pending_count()}"
        )

        log = data / "worker.log"
        with worker(log=log) as proc:
            wait_until(worker_ready(proc), 120, "the worker to start")
            worker_rss = [rss_mb(proc.pid)]
            server_rss.append(rss_mb(server_pid()))
            started = time.perf_counter()
            peak_rss = 0.0
            last = time.perf_counter()

            def drained() -> bool:
                nonlocal peak_rss, last
                if proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {proc.returncode}; see {log}")
                peak_rss = max(peak_rss, rss_mb(proc.pid))
                left = len(episode_keys()) - failed(uuids)
                if time.perf_counter() - last > 30:
                    last = time.perf_counter()
                    done = n - left
                    rate = done / (last - started)
                    print(f"  … {done}/{n} read, {rate:.2f}/s", flush=True)
                return left == 0

            wait_until(drained, timeout, "the backlog to be read", poll=0.5)
            read_s = time.perf_counter() - started
            # The last task unloads the model; then the worker is idle.
            wait_until(lambda: read_status().model == "", 60, "unload")
            worker_rss.append(rss_mb(proc.pid))
            server_rss.append(rss_mb(server_pid()))
        done_mem, done_keys = used_memory(), key_counts()
        show("all read", done_mem, done_keys)
        n_failed = failed(uuids)
        print(
            f"read: {n - n_failed} entries in {read_s:.1f} s = {(n - n_failed) / read_s:.3f} "
            f"entries/s ({read_s / n:.2f} s each), {n_failed} failed; worker peak RSS "
            f"{peak_rss:.0f} MiB"
        )
        print(
            f"RSS, worker: ready {worker_rss[0]:.0f} MiB, after the backlog (model unloaded) "
            f"{worker_rss[1]:.0f} MiB; server: empty journal {server_rss[0]:.0f}, "
            f"{n} queued {server_rss[1]:.0f}, all read {server_rss[2]:.0f} MiB"
        )
        telemetry = sum(
            int(get_redis().memory_usage(k) or 0) for k in get_redis().scan_iter("telemetry{*")
        )
        print(
            f"redis after vs empty: +{(done_mem - base_mem) / 2**20:.2f} MiB "
            f"(graph of {n} entries, FalkorDB's capped query log {telemetry / 2**20:.2f} MiB)"
        )

        waiting = done_keys.get("episode", 0) - n_failed
        if waiting:
            problems.append(f"{waiting} entries left unread")
        for kind in ("huey results",):
            if done_keys.get(kind):
                problems.append(f"{done_keys[kind]} {kind} key(s) accumulated")
        if huey.pending_count() or huey.scheduled_count():
            problems.append(f"huey still holds {huey.pending_count()} + {huey.scheduled_count()}")
        problems.extend(f"unexpected key {kind}" for kind in done_keys if kind.startswith("OTHER"))
    left = leftover_processes()
    if left:
        problems.append(f"processes left running: {left}")
    print(machine())
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Huey on the embedded redis: enqueue → task start latency, against a direct function call.

Why: every entry reaches the model through the queue. This isolates what the queue itself
costs (pickling, the redis round trips, the consumer's blocking pop, thread hand-off), with a
trivial task so the model is not involved.

The task and its Huey instance are defined here and live on the same embedded server as the
journal (``queue_pool()``); the consumer is a subprocess running this script with
``--consumer``: the same consumer class, worker type (one thread) and CPU priority as
``charlie-worker``. The task pushes ``time.monotonic()`` (CLOCK_MONOTONIC, one clock for all
processes on Linux) to a redis list the bench pops. Queued and direct calls alternate.
Two cases: back to back, and after an idle pause (the consumer sits in its blocking pop).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from _common import (
    alternating,
    machine,
    median,
    percentile,
    private_db,
    ratio,
    socket_env,
    table,
    wait_until,
)

QUEUE = "charlie-bench-latency"
STARTS = "charlie-bench:starts"


def make_huey() -> Any:
    """The bench's queue on this process's embedded server (non-decoding pool, as the worker's)."""
    from huey import RedisHuey

    from charlie_worker.store.connection import queue_pool

    huey = RedisHuey(QUEUE, connection_pool=queue_pool(), results=False)

    @huey.task(name="stamp")
    def stamp(seq: int) -> None:
        huey.storage.conn.rpush(STARTS, f"{seq} {time.monotonic()!r}")

    huey.stamp = stamp  # type: ignore[attr-defined]
    return huey


def consumer() -> None:
    """Run a consumer like charlie-worker's (one thread, its CPU priority) until SIGTERM."""
    from charlie_worker import WorkerSettings
    from charlie_worker.pipeline.cli import GracefulConsumer, lower_priority
    from charlie_worker.store.connection import close_db, get_db

    lower_priority(WorkerSettings().worker_priority)
    get_db()
    huey = make_huey()
    try:
        GracefulConsumer(huey, workers=1, worker_type="thread", periodic=False).run()
    finally:
        close_db()


def measure(
    n: int, idle_n: int, idle: float, fsync: str
) -> tuple[dict[str, list[float]], list[float]]:
    """One private database (AOF fsync policy ``fsync``) and consumer: latencies in ms."""
    import subprocess

    from _common import stop_process

    os.environ["CHARLIE_APPENDFSYNC"] = fsync
    lat: dict[str, list[float]] = {}
    enqueue_ms: list[float] = []
    with private_db():
        from charlie_worker.store.connection import get_redis

        huey = make_huey()
        redis = get_redis()
        direct_starts: list[float] = []

        def direct(seq: int) -> None:
            direct_starts.append(time.monotonic())

        proc = subprocess.Popen(
            [sys.executable, __file__, "--consumer"],
            env=socket_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            huey.stamp(-1)  # ready when the warm-up task has run
            wait_until(lambda: redis.llen(STARTS) > 0, 60, "the consumer to start")
            redis.delete(STARTS)

            def queued(seq: int) -> float:
                start = time.monotonic()
                huey.stamp(seq)
                enqueue_ms.append((time.monotonic() - start) * 1000)
                popped = redis.blpop([STARTS], timeout=30)
                if popped is None:
                    raise TimeoutError(f"task {seq} never started")
                got, started = popped[1].split()
                assert int(got) == seq, (got, seq)
                return float(started) - start

            def called(seq: int) -> float:
                start = time.monotonic()
                direct(seq)
                return direct_starts[-1] - start

            for case, count, pause in (("back-to-back", n, 0.0), ("idle", idle_n, idle)):
                for seq, mode in alternating(["queue", "direct"], count):
                    if pause and mode == "queue":
                        time.sleep(pause)
                    fn = queued if mode == "queue" else called
                    lat.setdefault(f"{mode} {case}", []).append(fn(seq) * 1000)
        finally:
            stop_process(proc)
            os.environ.pop("CHARLIE_APPENDFSYNC", None)
    return lat, enqueue_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="back-to-back tasks (default 200)")
    parser.add_argument("--idle-n", type=int, default=15, help="tasks after a pause (default 15)")
    parser.add_argument("--idle", type=float, default=1.5, help="pause in seconds (default 1.5)")
    parser.add_argument(
        "--appendfsync",
        nargs="+",
        choices=["always", "everysec"],
        default=["always"],
        help="AOF fsync policies to measure, one after the other (default: always, the product's)",
    )
    parser.add_argument("--consumer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consumer:
        consumer()
        return

    lat: dict[str, list[float]] = {}
    enqueue_ms: dict[str, list[float]] = {}
    for fsync in args.appendfsync:
        phase_lat, enqueue_ms[fsync] = measure(args.n, args.idle_n, args.idle, fsync)
        lat.update({f"{name} (fsync {fsync})": v for name, v in phase_lat.items()})

    rows = [[name, len(v), median(v), percentile(v, 99), max(v)] for name, v in lat.items()]
    print(table(["path", "calls", "p50 ms", "p99 ms", "max ms"], rows))
    for fsync, values in enqueue_ms.items():
        print(
            f"enqueue call itself (producer side, fsync {fsync}): p50 {median(values):.2f} ms, "
            f"p99 {percentile(values, 99):.2f} ms"
        )
    print(machine())
    first = args.appendfsync[0]
    q, d = lat[f"queue back-to-back (fsync {first})"], lat[f"direct back-to-back (fsync {first})"]
    qi = lat[f"queue idle (fsync {first})"]
    print(
        f"SUMMARY queue_overhead: fsync {first}: enqueue->start p50 {median(q):.2f} ms, p99 "
        f"{percentile(q, 99):.2f} ms back to back (after {args.idle:.1f} s idle: p50 "
        f"{median(qi):.2f}, p99 {percentile(qi, 99):.2f} ms) vs direct call p50 "
        f"{median(d) * 1000:.1f} us: {ratio(median(q), median(d)):.0f}x"
    )


if __name__ == "__main__":
    main()

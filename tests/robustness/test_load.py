"""Load: a thousand entries enqueued at once leave redis bounded, and each is queued once.

The default suite enqueues 1,000 entries through ``save_entry`` (fsync always, as the app),
checks redis memory and keys, then lets the real worker read a handful (its startup recovery
rebuilds the queue from 1,000 episode hashes). The soak test reads every entry of a smaller
load; ``bench/soak_load.py --n 1000`` is the full-size run with throughput figures.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from charlie_worker.store.connection import get_redis
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import list_entries
from charlie_worker.store.queue import bind_queue, queued_readings

N = 1000
HANDFUL = 3
MAX_BYTES_PER_PENDING_ENTRY = 8_000
"""Episode hash + queued task + graph node and its full-text postings: ~2.7 KB measured."""

# Every key the journal may hold; anything else (huey results, per-task keys) is a leak.
ALLOWED_KEYS = re.compile(
    r"episode:[0-9a-f-]{36}"  # an entry still to read
    r"|journal:default"  # the graph
    r"|telemetry\{journal:default\}"  # FalkorDB's query log: a stream capped at 1,000 queries
    r"|huey\.redis\.charlie"  # the queue
    r"|huey\.schedule\.charlie"  # retries waiting for their delay
    r"|charlie:worker"  # the worker's status
    r"|charlie:changes(:version)?"  # the change log the app follows: a counter, a capped stream
    r"|charlie:episodes:(waiting|failed)"  # the sets that count entries waiting and failed
    r"|charlie:lease:.+"  # a live worker's lease (expires by itself)
)


def _text(i: int) -> str:
    return f"Day {i}: lunch with Sarah and Tom at Acme Corp in London, then a walk by the river."


def _keys() -> Counter[str]:
    return Counter(
        "episode:*" if key.startswith("episode:") else key
        for key in get_redis().scan_iter(count=1000)
    )


def _memory() -> int:
    return int(get_redis().info("memory")["used_memory"])


def _telemetry() -> int:
    """Bytes in FalkorDB's query log (a stream capped at MAX_INFO_QUERIES=1000 queries, with
    their parameters: bounded, but it grows up to the cap as queries run)."""
    client = get_redis()
    return sum(int(client.memory_usage(k) or 0) for k in client.scan_iter("telemetry{*"))


def _unexpected_keys() -> list[str]:
    return [k for k in get_redis().scan_iter(count=1000) if not ALLOWED_KEYS.fullmatch(k)]


@pytest.mark.slow
def test_a_thousand_entries_are_queued_once_with_bounded_memory(db, workers, rb) -> None:
    huey = bind_queue()
    select_graph("default")  # the empty graph and its indexes are not a per-entry cost
    before = _memory()
    started = time.perf_counter()
    uuids = [save_entry(_text(i)) for i in range(N)]
    enqueue_s = time.perf_counter() - started
    grown = _memory() - before

    assert _keys()["episode:*"] == N
    assert huey.pending_count() == N  # one task per entry
    assert _unexpected_keys() == []
    assert grown < N * MAX_BYTES_PER_PENDING_ENTRY, f"{grown / N:.0f} B per pending entry"

    worker = workers.start()
    rb.wait_for(lambda: _keys()["episode:*"] <= N - HANDFUL, 300, f"{HANDFUL} entries to be read")
    assert workers.stop(worker) == 0

    remaining = _keys()["episode:*"]
    done = [e for e in list_entries(limit=N) if e.state == "done"]
    assert len(done) == N - remaining >= HANDFUL
    assert {e.state for e in list_entries(limit=N)} <= {"done", "waiting", "failed"}
    # Recovery rebuilt the queue from the hashes: still exactly one task per waiting entry.
    waiting = sum(1 for e in list_entries(limit=N) if e.state == "waiting")
    assert len(queued_readings(huey)) == waiting
    assert _unexpected_keys() == []
    assert rb.graph_problems() == []
    assert len(uuids) == len(set(uuids)) == N
    print(
        f"\n{N} entries enqueued in {enqueue_s:.1f} s ({N / enqueue_s:.0f}/s); redis grew "
        f"{grown / 1024:.0f} KiB ({grown / N:.0f} B/entry); {len(done)} read"
    )


@pytest.mark.soak
def test_soak_every_entry_of_a_load_is_read(db, workers, rb) -> None:
    n = 40
    huey = bind_queue()
    select_graph("default")
    before = _memory() - _telemetry()
    uuids = [save_entry(_text(i)) for i in range(n)]
    started = time.perf_counter()
    workers.start()
    rb.wait_for(lambda: not rb.episode_keys(), 60 * n, "every entry to be read")
    elapsed = time.perf_counter() - started
    entries = list_entries(limit=n)
    assert {e.uuid for e in entries} == set(uuids)
    assert {e.state for e in entries} == {"done"}
    assert queued_readings(huey) == []
    assert _unexpected_keys() == []
    assert rb.graph_problems() == []
    # What is left is the graph (entries, entities, index postings: ~2-6 KB an entry) and a
    # fixed overhead (the worker's connections and their buffers, cached Lua scripts), not
    # queue state.
    grown = _memory() - _telemetry() - before
    assert grown < n * MAX_BYTES_PER_PENDING_ENTRY + 2**20, f"redis grew {grown} B"
    print(f"\n{n} entries read in {elapsed:.0f} s ({n / elapsed:.2f}/s); redis +{grown} B")

"""``kill -9`` of the worker while it extracts, again and again: nothing lost, nothing twice.

Each round starts the real worker on a backlog, waits until it is reading an entry, lets it
run a random moment (model import, load, generation or the graph write), then SIGKILLs it.
Two more rounds kill it deterministically in the narrowest window: entities written to the
graph, redis hash not yet deleted. A final worker must then finish everything exactly once.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from charlie_worker.store import worker_state as status
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import list_entries
from kit import crash
from kit.seeds import BACKLOG_TEXTS

TEXTS = BACKLOG_TEXTS


def _more() -> Iterator[str]:
    i = 0
    while True:
        i += 1
        yield f"Day {i}: Sarah met Tom at Acme Corp in London."


def _mentions(episode_uuid: str) -> int:
    cypher = "MATCH (:Episode {uuid: $u})-[m:MENTIONS]->() RETURN count(m)"
    rows = select_graph("default").ro_query(cypher, {"u": episode_uuid}).result_set
    return int(rows[0][0])


def _kill_rounds(
    rb, workers, uuids: list[str], extra: Iterator[str], kills: int, seed: int, max_delay: float
) -> list[tuple]:
    """Random SIGKILLs while the worker is reading; returns what each kill hit."""
    rng = random.Random(seed)
    hits = []
    for _ in range(kills):
        if not rb.episode_keys():  # all read between kills: keep a backlog to kill into
            uuids.append(save_entry(next(extra)))
        worker = workers.start()
        episode = rb.wait_for(
            lambda w=worker: rb.reading_by(w.pid) or w.poll() is not None,
            120,
            "the worker to start reading an entry",
            poll=0.02,
        )
        assert worker.poll() is None, f"worker exited with {worker.returncode}"
        delay = rng.uniform(0, max_delay)
        time.sleep(delay)
        still_reading = rb.reading_by(worker.pid) == episode
        model = status.read_status().model
        workers.kill(worker)
        hits.append((round(delay, 2), still_reading, model or "-", _mentions(episode)))
        assert not rb.graph_problems(), hits
    return hits


def _finish(rb, workers, uuids: list[str], data_dir: Path) -> None:
    workers.start()
    rb.wait_for(lambda: not rb.episode_keys(), 300, "the backlog to drain after the kills")
    assert rb.episode_keys() == []
    entries = {e.uuid: e for e in list_entries(limit=1000)}
    assert set(entries) == set(uuids), "an entry was lost or appeared"
    assert {e.state for e in entries.values()} == {"done"}
    assert rb.graph_problems() == []
    # A killed worker never started a second server on the same files.
    assert len(rb.redis_servers_under(data_dir)) == 1


@pytest.mark.slow
def test_kill_9_mid_extraction_loses_and_duplicates_nothing(db, workers, rb, data_dir) -> None:
    uuids = [save_entry(t) for t in TEXTS]
    extra = _more()
    hits = _kill_rounds(rb, workers, uuids, extra, kills=10, seed=20261124, max_delay=1.5)
    # The kills must really land in extractions, not only in start-ups.
    assert sum(1 for h in hits if h[1]) >= len(hits) // 2, hits

    # The narrowest window, twice: entities written to the graph, redis hash still there.
    for _ in range(2):
        if not rb.episode_keys():
            uuids.append(save_entry(next(extra)))
        command = crash.command("after_write", "worker", "--log-file", str(workers.log))
        worker = workers.start_command(command, env=crash.env())
        assert worker.wait(180) == -signal.SIGKILL
        mine = [
            u
            for u, data in rb.episode_hashes().items()
            if data.get("processing_by", "").endswith(f":{worker.pid}")
            or (data.get("processing_since") and "processing_by" not in data)
        ]
        assert mine, "the episode written by the killed worker lost its redis hash"
        hits.append(("after write", True, "llm", _mentions(mine[0])))
        assert rb.graph_problems() == []

    _finish(rb, workers, uuids, data_dir)
    print(f"\nkills (delay s, still reading, model, mentions at kill): {hits}")


@pytest.mark.soak
def test_soak_many_kills(db, workers, rb, data_dir) -> None:
    uuids = [save_entry(t) for t in TEXTS]
    hits = _kill_rounds(rb, workers, uuids, _more(), kills=60, seed=7, max_delay=4.0)
    _finish(rb, workers, uuids, data_dir)
    print(f"\nkills (delay s, still reading, model, mentions at kill): {hits}")

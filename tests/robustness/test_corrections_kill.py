"""``kill -9`` in the middle of corrections: the journal is found as it was before one or
after it, never half corrected.

A child process (standing in for the app) merges two entities and undoes the merge, again and
again, saying so after each. After a few of those the child and the redis-server are
SIGKILLed at whatever point they were; the reopened journal must be exactly one of the two
states (each correction is one query, persisted with the AOF before it is acknowledged).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store import corrections
from charlie_worker.store.connection import close_db
from charlie_worker.store.entities import known_entities
from charlie_worker.store.graphs import select_graph
from kit import crash
from kit.seeds import read_entry_as

CHILD = """
import json, sys
from charlie_worker.store import corrections
from charlie_worker.store.connection import get_db, server_pid

get_db()
print(json.dumps({"server": server_pid()}), flush=True)
survivor, other = sys.argv[1:3]
while True:
    undo = corrections.merge("default", survivor, [other])
    print("merged", flush=True)
    corrections.undo("default", undo)
    print("split", flush=True)
"""


def state() -> tuple[object, ...]:
    graph = select_graph(J)
    mentions = graph.ro_query(
        "MATCH (e:Episode)-[:MENTIONS]->(n:Entity) RETURN e.uuid, n.uuid ORDER BY e.uuid, n.uuid"
    ).result_set
    entities = sorted((k.uuid, k.name, k.type, k.aliases) for k in known_entities(J))
    return tuple(entities), tuple(map(tuple, mentions))


def state_after(correction: corrections.Undo) -> tuple[object, ...]:
    """The journal's state with ``correction`` made; then it is undone."""
    made = state()
    corrections.undo(J, correction)
    return made


def seed() -> dict[str, str]:
    """Sarah, Sara and Tom in three entries; their uuids by name."""
    read_entry_as("Coffee with Sarah and Tom.", ("Sarah", "Person"), ("Tom", "Person"))
    read_entry_as("Sara rang.", ("Sara", "Person"))
    read_entry_as("Sara and Sarah, both.", ("Sara", "Person"), ("Sarah", "Person"))
    return {k.name: k.uuid for k in known_entities(J)}


@pytest.mark.parametrize("acks", [1, 7, 40])
def test_a_merge_killed_at_any_moment_is_all_or_nothing(data_dir, rb, acks: int) -> None:
    ids = seed()
    split = state()
    undo = corrections.merge(J, ids["Sarah"], [ids["Sara"]])
    merged = state()
    corrections.undo(J, undo)
    assert state() == split != merged
    close_db()

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, ids["Sarah"], ids["Sara"]],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        server = json.loads(child.stdout.readline())["server"]
        for _ in range(acks):
            assert child.stdout.readline().strip() in {"merged", "split"}
        os.kill(child.pid, signal.SIGKILL)
        os.kill(server, signal.SIGKILL)
        child.wait(10)
        rb.wait_for(lambda: not rb.is_alive(server), 10, "the redis-server to die")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert state() in (split, merged)  # reopens the database after the crash


@pytest.mark.parametrize(
    ("step", "applied"), [("correction_unsent", False), ("correction_sent", True)]
)
def test_the_app_killed_making_a_correction_leaves_it_applied_or_not(db, step, applied) -> None:
    """The app dies before its merge reaches the server, or after, its answer unread: the
    journal is then exactly as before the merge, or exactly merged."""
    ids = seed()
    split = state()
    merged = state_after(corrections.merge(J, ids["Sarah"], [ids["Sara"]]))
    code = "from charlie_worker.store.corrections import merge; merge(*sys.argv[1:3], sys.argv[3:])"
    command = crash.command(step, "exec", code, J, ids["Sarah"], ids["Sara"])
    killed = subprocess.run(command, env=crash.env(), timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert state() == (merged if applied else split)

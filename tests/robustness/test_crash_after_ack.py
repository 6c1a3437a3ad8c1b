"""An acknowledged entry survives ``kill -9`` of every process at once.

A child process (standing in for the app) owns the database; the real worker runs beside it.
The moment ``save_entry`` (the app's save) returns in the child, the child, the worker and the
redis-server are all SIGKILLed. Reopening must recover from the stale socket, find the entry,
and a new worker must read it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from charlie_worker.store.queries import get_entry, list_entries

TEXT = "Moved into the flat on Elm Street with Sarah; Tom from Acme Corp helped. 🚚"

APP = """
import json, sys, time
from charlie_worker.store.connection import get_db, server_pid, socket_path
from charlie_worker.store.journal import save_entry

get_db()
print(json.dumps({"socket": socket_path(), "server": server_pid()}), flush=True)
for line in sys.stdin:  # one entry per line, acknowledged on stdout once save_entry returns
    print(json.dumps({"uuid": save_entry(json.loads(line))}), flush=True)
time.sleep(600)
"""


def _worker_status(sock: str) -> dict[str, str]:
    client = redis.Redis(unix_socket_path=sock, decode_responses=True, socket_timeout=5)
    try:
        return client.hgetall("charlie:worker")
    finally:
        client.close()


def _crash_after_ack(data_dir: Path, workers, rb, delay: float) -> str:
    """Run the app child and a worker, add one entry, SIGKILL all three; returns its uuid."""
    app = subprocess.Popen(
        [sys.executable, "-c", APP],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        opened = json.loads(app.stdout.readline())
        sock, server = opened["socket"], opened["server"]
        [proc] = rb.redis_servers_under(data_dir)  # the server, found by its cwd (db dir)
        assert proc.pid == server
        worker = workers.start(socket=sock)
        rb.wait_for(
            lambda: _worker_status(sock).get("pid") == str(worker.pid),
            60,
            "the worker to come up",
        )
        app.stdin.write(json.dumps(TEXT) + "\n")
        app.stdin.flush()
        acked = json.loads(app.stdout.readline())["uuid"]
        time.sleep(delay)
        for pid in (app.pid, worker.pid, proc.pid):
            os.kill(pid, signal.SIGKILL)
        app.wait(10)
        worker.wait(10)
        rb.wait_for(lambda: not rb.is_alive(proc.pid), 10, "the redis-server to die")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    return acked


def _check_recovered(uuid: str, workers, rb) -> None:
    entry = get_entry(uuid)  # opens the database: the stale socket must not stop it
    assert entry is not None, "an acknowledged entry was lost"
    assert entry.content == TEXT
    if entry.state == "done":  # read and finished before the kill (a late kill, a fast machine)
        assert rb.episode_keys() == []
        assert rb.graph_problems() == []
        return
    assert entry.state in {"waiting", "reading"}
    assert rb.episode_keys() == [f"episode:{uuid}"]
    workers.start()
    rb.wait_for(lambda: not rb.episode_keys(), 180, "the recovered entry to be read")
    assert get_entry(uuid).state == "done"
    assert [e.uuid for e in list_entries()] == [uuid]
    assert rb.graph_problems() == []


@pytest.mark.slow
def test_entry_survives_kill_9_of_everything_right_after_ack(data_dir, workers, rb) -> None:
    uuid = _crash_after_ack(data_dir, workers, rb, delay=0.0)
    _check_recovered(uuid, workers, rb)


@pytest.mark.soak
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5, 1.0, 2.0])
def test_soak_kill_everything_at_other_moments(data_dir, workers, rb, delay: float) -> None:
    uuid = _crash_after_ack(data_dir, workers, rb, delay=delay)
    _check_recovered(uuid, workers, rb)

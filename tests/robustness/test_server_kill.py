"""``kill -9`` of the database server while the worker reads a backlog: nothing lost, nothing
read twice, nobody stuck.

The app's own ``Runtime`` (database + worker process supervision, without the screens) runs a
real worker on a backlog; the redis-server is SIGKILLed while an entry is being read. The
worker must notice and exit by itself (``EXIT_SERVER_LOST``); the app's next poll must start
the server again from its append-only file and restart the worker on it, which then reads
every entry saved before the kill exactly once.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from charlie_tui.runtime import Runtime
from charlie_tui.worker_process import WorkerProcess
from charlie_worker import EXIT_SERVER_LOST
from charlie_worker.store.connection import server_pid, socket_path
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import list_entries
from kit.seeds import BACKLOG_TEXTS

TEXTS = BACKLOG_TEXTS[:6]


def _recording_worker(log: Path, record: Path) -> list[str]:
    """The real worker, which also appends each entry it finishes (its redis hash deleted by
    this worker's own claim) to ``record``: how many times each entry was read."""
    code = (
        "import sys\n"
        "import charlie_worker.pipeline.tasks as tasks\n"
        "real = tasks.finish_episode\n"
        "def finish(uuid, token):\n"
        "    done = real(uuid, token)\n"
        "    if done:\n"
        f"        with open({str(record)!r}, 'a') as fh:\n"
        "            fh.write(uuid + '\\n')\n"
        "    return done\n"
        "tasks.finish_episode = finish\n"
        "from charlie_worker.pipeline.cli import main\n"
        f"sys.exit(main(['--log-file', {str(log)!r}, '--graceful-timeout', '10']))\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.slow
def test_server_killed_under_a_reading_worker_is_restarted_and_loses_nothing(
    data_dir: Path, tmp_path: Path, rb
) -> None:
    record = tmp_path / "finished.txt"
    log = tmp_path / "worker.log"
    runtime = Runtime(start_worker=False)
    try:
        runtime.open()
        uuids = [save_entry(text) for text in TEXTS]
        runtime.process = WorkerProcess(socket_path(), log, command=_recording_worker(log, record))
        first = runtime.process.start().pid
        assert first is not None
        rb.wait_for(lambda: rb.reading_by(first), 180, "the worker to read an entry", poll=0.02)
        time.sleep(0.3)  # into the extraction
        server = server_pid()
        os.kill(server, signal.SIGKILL)
        rb.wait_for(lambda: not rb.is_alive(server), 10, "the redis-server to die")

        snapshot = runtime.poll()  # the app's next poll
        assert snapshot.server_restarted
        assert server_pid() not in (0, server)
        restarted = rb.wait_for(
            lambda: (s := runtime.poll()).process.restarts and s.process.pid and s,
            120,
            "the app to restart the worker",
        )
        assert restarted.process.exit_code == EXIT_SERVER_LOST, log.read_text()[-3000:]
        assert not rb.is_alive(first)

        rb.wait_for(lambda: runtime.poll() and not rb.episode_keys(), 300, "the backlog to be read")
        entries = {e.uuid: e for e in list_entries(limit=100)}
        assert set(entries) == set(uuids), "an acknowledged entry was lost"
        assert {e.state for e in entries.values()} == {"done"}
        reads = Counter(record.read_text().split())
        assert reads == dict.fromkeys(uuids, 1), reads
        assert rb.graph_problems() == []
        assert len(rb.redis_servers_under(data_dir)) == 1
    finally:
        runtime.close()
    assert not rb.redis_servers_under(data_dir), "closing the app left a server behind"


def test_a_worker_whose_server_is_gone_exits_by_itself(db, workers, rb, data_dir) -> None:
    """Not stuck retrying a dead socket for ever: it says why and exits for the app to start
    it again (a standalone worker's user reruns it)."""
    from charlie_worker.store import worker_state as status

    worker = workers.start()
    rb.wait_for(lambda: status.read_status().pid == worker.pid, 60, "the worker to come up")
    server = server_pid()
    os.kill(server, signal.SIGKILL)
    assert worker.wait(60) == EXIT_SERVER_LOST
    assert "its database server is gone" in workers.log.read_text()
    assert not rb.redis_servers_under(data_dir)

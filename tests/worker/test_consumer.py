"""The real `charlie-worker` consumer subprocess on the real model: backlog, recovery, stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from charlie_worker.settings import WorkerSettings
from charlie_worker.store import worker_state as status
from charlie_worker.store.connection import get_redis, socket_path
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry, list_entries

WORKER = [sys.executable, "-m", "charlie_worker"]
pytestmark = pytest.mark.slow


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _episode_keys() -> list[str]:
    return list(get_redis().scan_iter(match="episode:*"))


@pytest.fixture
def start_worker(db: object, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    log = tmp_path / "worker.log"

    def start(*extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*WORKER, "--log-file", str(log), *extra],
            env={
                **os.environ,
                WorkerSettings.env_name("redis_socket"): socket_path(),
                **(env or {}),
            },
        )
        started.append(proc)
        return proc

    start.log = log  # type: ignore[attr-defined]
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_backlog_loads_the_model_once_and_leaves_redis_empty(start_worker) -> None:
    texts = [
        "Today I met Sarah.",
        "Lunch with Priya in London.",
        "Tom fixed my bike at Zorba.",  # a name only the model can type: it loads
        "Quiet day.",
    ]
    uuids = [save_entry(t) for t in texts]  # queued before the consumer starts: a real backlog
    worker = start_worker()
    _wait(lambda: not _episode_keys(), 240, "the backlog to drain")
    _wait(lambda: status.read_status().unloads == 1, 30, "the model to be unloaded")
    report = status.read_status()
    assert (report.loads, report.unloads, report.model) == (1, 1, "")
    assert report.running and report.pid == worker.pid
    assert all(get_entry(u).state == "done" for u in uuids)
    assert "Sarah" in {e.name for e in get_entry(uuids[0]).entities}


def test_entries_added_while_no_worker_runs_are_recovered(start_worker) -> None:
    from charlie_worker.store.queue import bind_queue

    uuids = [save_entry(f"Day {i}: walked with Sarah.") for i in range(3)]
    bind_queue().storage.flush_queue()  # as if the queued tasks were lost with a dead worker
    start_worker()
    _wait(lambda: not _episode_keys(), 240, "recovery to process every entry")
    assert {e.uuid for e in list_entries() if e.state == "done"} >= set(uuids)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_is_graceful_and_loses_nothing(start_worker, signum: int) -> None:
    uuids = [save_entry(f"Entry {i}: Sarah and Tom went to Paris.") for i in range(3)]
    worker = start_worker()
    _wait(lambda: any(get_entry(u).state == "reading" for u in uuids), 120, "a task to start")
    worker.send_signal(signum)
    assert worker.wait(90) == 0
    states = [get_entry(u).state for u in uuids]
    assert "reading" not in states
    assert all(s in {"done", "waiting"} for s in states), states
    start_worker()
    _wait(lambda: not _episode_keys(), 240, "the rest after restart")


def test_worker_exits_when_its_parent_is_gone(db: object, tmp_path: Path) -> None:
    # A throwaway parent starts the worker and dies; the worker must notice and exit.
    code = (
        "import os, subprocess, sys\n"
        f"p = subprocess.Popen({[*WORKER, '--log-file', str(tmp_path / 'w.log')]!r},"
        " env={**os.environ, 'CHARLIE_PARENT_PID': str(os.getpid())})\n"
        "print(p.pid, flush=True)\n"
    )
    env = {**os.environ, WorkerSettings.env_name("redis_socket"): socket_path()}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    pid = int(out.stdout.split()[0])
    import psutil

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    _wait(gone, 30, "the orphaned worker to exit")


def test_standalone_worker_runs_its_own_server_and_leaves_none(data_dir: Path, procs) -> None:
    """No app: the worker starts the database itself, reads what waits, and on stop shuts down."""
    from charlie_worker.store.connection import close_db, get_db

    get_db()
    uuids = [save_entry("Today I met Sarah.")]
    close_db()  # the "app" is gone; the entry waits on disk
    assert not procs.redis_servers_under(data_dir)
    worker = subprocess.Popen([*WORKER, "--log-file", str(data_dir.parent / "solo.log")])
    try:
        _wait(lambda: procs.redis_servers_under(data_dir), 30, "the worker's own server")
        get_db()  # attach beside it, as a second process would
        _wait(lambda: not _episode_keys(), 240, "the standalone worker to read the entry")
        assert get_entry(uuids[0]).state == "done"
        close_db()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
    _wait(lambda: not procs.redis_servers_under(data_dir), 15, "the server to shut down")

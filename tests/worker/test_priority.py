"""The worker lowers its own CPU priority before any thread starts, as the setting says, and
the threads it starts later (Huey's, llama.cpp's) inherit it; leading its own session (as the
app starts it), it lowers its session's autogroup too. Each case runs in a fresh process: a
priority once lowered cannot be raised again by an unprivileged process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import socket_path
from charlie_worker.store.worker_state import read_status
from kit.processes import WORKER_CMD, run_child, stop_process, wait_until

PROBE = """
import json, os, sys, threading
from charlie_worker.pipeline.cli import lower_priority
from charlie_worker.settings import WorkerSettings

if "--own-session" in sys.argv:
    os.setsid()
def group():
    try:
        with open("/proc/self/autogroup") as fh:
            words = fh.read().split()
    except OSError:
        return None
    return int(words[-1]) if words else None  # empty: the session's group is not an autogroup
before, group_before = os.nice(0), group()
lower_priority(WorkerSettings().worker_priority)
seen = {}
def probe():
    seen["policy"] = os.sched_getscheduler(0)
    seen["nice"] = os.nice(0)
thread = threading.Thread(target=probe)
thread.start()
thread.join()
print(json.dumps({"before": before, "group_before": group_before, "group": group(), **seen}))
"""

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")
autogroups = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="the kernel has no autogroups"
)
in_an_autogroup = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists() or not Path("/proc/self/autogroup").read_text(),
    reason="this session is not in an autogroup (a container's cgroup holds it): nothing to keep",
)
"""The kernel prints nothing for a session whose group is not an autogroup (a container's
cpu cgroup, say): a worker that leads its own session still gets one, so only the tests
of a worker in *this* session need this one."""


def child(monkeypatch: pytest.MonkeyPatch, priority: str | None, *, own_session=False) -> dict:
    """Run the probe in a fresh process with ``CHARLIE_WORKER_PRIORITY`` (None: unset), in
    a session of its own with ``own_session`` (as the app starts the worker)."""
    if priority is None:
        monkeypatch.delenv("CHARLIE_WORKER_PRIORITY", raising=False)
    else:
        monkeypatch.setenv("CHARLIE_WORKER_PRIORITY", priority)
    return run_child(["-c", PROBE, *(["--own-session"] if own_session else [])], timeout=60)


@linux
def test_by_default_the_worker_only_takes_spare_cpu_time(monkeypatch: pytest.MonkeyPatch) -> None:
    report = child(monkeypatch, None)
    assert report["policy"] == os.SCHED_IDLE


@linux
def test_idle_priority_is_inherited_by_later_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    report = child(monkeypatch, "idle")
    assert report["policy"] == os.SCHED_IDLE


def test_low_priority_is_nice_10(monkeypatch: pytest.MonkeyPatch) -> None:
    report = child(monkeypatch, "low")
    assert report["policy"] == os.SCHED_OTHER
    assert report["nice"] == min(19, report["before"] + 10)


def test_normal_priority_leaves_the_worker_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    report = child(monkeypatch, "normal")
    assert report["policy"] == os.SCHED_OTHER
    assert report["nice"] == report["before"]


@autogroups
@pytest.mark.parametrize(("priority", "nice"), [("idle", 19), ("low", 10)])
def test_a_worker_leading_its_session_lowers_the_sessions_group(
    monkeypatch: pytest.MonkeyPatch, priority: str, nice: int
) -> None:
    """With autogroups the CPU is shared between sessions first: without this, the worker's
    own policy would only put it behind itself."""
    report = child(monkeypatch, priority, own_session=True)
    assert report["group"] == max(nice, report["group_before"])


@in_an_autogroup
@pytest.mark.parametrize("priority", ["idle", "normal"])
def test_the_group_of_a_session_the_worker_does_not_lead_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, priority: str
) -> None:
    """Run from a shell, the worker shares the shell's session: its group is the terminal's."""
    report = child(monkeypatch, priority)
    assert report["group"] == report["group_before"]


@linux
@autogroups
def test_the_worker_as_the_app_starts_it_is_idle_in_a_group_of_its_own(db, tmp_path) -> None:
    """The real worker, started as the app starts it (a session of its own,
    ``charlie_tui.worker_process``): its group at nice 19, every thread at SCHED_IDLE."""
    env = {**os.environ, WorkerSettings.env_name("redis_socket"): socket_path()}
    env.pop(WorkerSettings.env_name("worker_priority"), None)
    worker = subprocess.Popen(
        [*WORKER_CMD, "--log-file", str(tmp_path / "worker.log")],
        env=env,
        start_new_session=True,
    )
    try:
        wait_until(lambda: read_status().running and read_status().pid == worker.pid, 60, "it")
        assert Path(f"/proc/{worker.pid}/autogroup").read_text().split()[-1] == "19"

        def threads() -> list[int]:
            """The worker's threads once Huey's worker thread and the heartbeat run beside the
            main one: the status can say "running" a moment before (seen once in CI)."""
            ids = [thread.id for thread in psutil.Process(worker.pid).threads()]
            return ids if len(ids) > 1 else []

        tids = wait_until(threads, 30, "the worker's threads")
        assert {os.sched_getscheduler(tid) for tid in tids} == {os.SCHED_IDLE}
    finally:
        stop_process(worker)

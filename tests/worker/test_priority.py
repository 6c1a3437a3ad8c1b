"""The worker lowers its own CPU priority before any thread starts, as the setting says, and
the threads it starts later (Huey's, llama.cpp's) inherit it. Each case runs in a fresh
process: a priority once lowered cannot be raised again by an unprivileged process."""

from __future__ import annotations

import os
import sys

import pytest

from kit.processes import run_child

PROBE = """
import json, os, threading
from charlie_worker.pipeline.cli import lower_priority
from charlie_worker.settings import WorkerSettings

before = os.nice(0)
lower_priority(WorkerSettings().worker_priority)
seen = {}
def probe():
    seen["policy"] = os.sched_getscheduler(0)
    seen["nice"] = os.nice(0)
thread = threading.Thread(target=probe)
thread.start()
thread.join()
print(json.dumps({"before": before, **seen}))
"""

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")


def child(monkeypatch: pytest.MonkeyPatch, priority: str | None) -> dict:
    """Run the probe in a fresh process with ``CHARLIE_WORKER_PRIORITY`` (None: unset)."""
    if priority is None:
        monkeypatch.delenv("CHARLIE_WORKER_PRIORITY", raising=False)
    else:
        monkeypatch.setenv("CHARLIE_WORKER_PRIORITY", priority)
    return run_child(["-c", PROBE], timeout=60)


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

"""The worker process manager with stand-in commands: backoff, graceful stop, kill, output."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from charlie_tui import worker_process
from charlie_tui.worker_process import ProcessState, WorkerProcess


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_phase(process: WorkerProcess, phase: str, timeout: float = 20) -> ProcessState:
    deadline = time.monotonic() + timeout
    while (state := process.supervise()).phase != phase:
        assert time.monotonic() < deadline, f"still {state.phase}"
        time.sleep(0.02)
    return state


def wait_log(log: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not (log.exists() and text in log.read_text()):
        assert time.monotonic() < deadline, f"{text!r} never logged"
        time.sleep(0.02)


def test_a_crashing_worker_is_restarted_with_growing_backoff(tmp_path: Path) -> None:
    clock = FakeClock()
    process = WorkerProcess(
        "sock", tmp_path / "w.log", command=python("raise SystemExit(3)"), clock=clock
    )
    assert process.start().phase == "running"
    delays = []
    for restarts in range(1, 5):
        state = wait_phase(process, "restarting")
        assert state.exit_code == 3
        delays.append(state.restart_in)
        clock.now += state.restart_in - 0.5
        assert process.supervise().phase == "restarting"  # not before the delay
        clock.now += 0.5
        state = process.supervise()
        assert (state.phase, state.restarts) == ("running", restarts)
    assert delays == [1.0, 2.0, 4.0, 8.0]
    clock.now += worker_process.STABLE_AFTER_S  # a long healthy run resets the backoff
    assert wait_phase(process, "restarting").restart_in == 1.0
    assert process.stop().phase == "stopped"
    clock.now += 100
    assert process.supervise().phase == "stopped"  # never restarted after stop


def test_stop_is_graceful_first(tmp_path: Path) -> None:
    log = tmp_path / "w.log"
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = WorkerProcess("sock", log, command=python(code))
    process.start()
    wait_log(log, "ready")
    started = time.monotonic()
    state = process.stop()
    assert (state.phase, state.exit_code) == ("stopped", 0)
    assert time.monotonic() - started < 5
    assert process.stop().phase == "stopped"  # twice is fine


def test_a_worker_that_ignores_sigterm_is_killed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(worker_process, "KILL_GRACE_S", 0.2)
    log = tmp_path / "w.log"
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = WorkerProcess("sock", log, command=python(code), graceful_timeout=0.2)
    process.start()
    wait_log(log, "ready")
    assert process.stop().exit_code == -9


def test_output_goes_to_the_log_and_the_worker_knows_its_parent(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "w.log"
    code = (
        "import os, sys\n"
        "print('out', os.environ['CHARLIE_REDIS_SOCKET'], os.environ['CHARLIE_PARENT_PID'])\n"
        "print('err', os.getsid(0) == os.getpid(), file=sys.stderr)\n"
    )
    process = WorkerProcess("/run/x.sock", log, command=python(code))
    process.start()
    wait_phase(process, "restarting")
    process.stop()
    lines = log.read_text().splitlines()
    assert f"out /run/x.sock {os.getpid()}" in lines
    assert "err True" in lines  # its own session: the terminal's signals reach the app only


def test_the_default_command_runs_the_worker_with_a_short_graceful_timeout(tmp_path) -> None:
    command = worker_process.worker_command(tmp_path / "worker.log", 10.0)
    assert command[:3] == [sys.executable, "-m", "charlie_worker"]
    assert command[3:] == ["--log-file", str(tmp_path / "worker.log"), "--graceful-timeout", "10.0"]


@pytest.mark.parametrize("phase", ["running", "restarting"])
def test_stop_in_any_phase(tmp_path: Path, phase: str) -> None:
    process = WorkerProcess(
        "sock", tmp_path / "w.log", command=python("import time; time.sleep(1)")
    )
    process.start()
    if phase == "restarting":
        wait_phase(process, "restarting")
    assert process.stop().phase == "stopped"

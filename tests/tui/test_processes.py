"""The app as a process, with its real worker subprocess: what it imports, how it stops,
and what it leaves behind (nothing) after q, SIGTERM, SIGHUP or SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from charlie_tui.app import CharlieApp

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("headless_app.py")


def start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        env={**os.environ, "CHARLIE_DATA_DIR": str(data_dir), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report(proc: subprocess.Popen) -> dict:
    """The JSON line the app prints once it is up."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(30)
        pytest.fail(f"the app printed nothing:\n{proc.stderr.read() if proc.stderr else ''}")
    return json.loads(line)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def assert_nothing_left(tui, data_dir: Path, pids: list[int], timeout: float = 30) -> None:
    tui.wait_until(lambda: all(gone(pid) for pid in pids), timeout, f"{pids} to exit")
    assert tui.workers_of(data_dir) == []
    assert tui.redis_servers_under(data_dir) == []


def test_a_missing_model_is_shown_and_the_ui_never_loads_one(tui, data_dir) -> None:
    missing = data_dir.parent / "models" / "missing.gguf"
    proc = start(
        data_dir,
        "--save",
        "Tea at Zorba.",  # a name only the model can type: the worker tries to load it
        "--until",
        "model-error",
        "--quit",
        env={"CHARLIE_LLM_MODEL_PATH": str(missing)},
    )
    up = report(proc)
    assert proc.wait(60) == 0, proc.stderr.read() if proc.stderr else ""
    assert up["heavy"] == []  # the save queued the entry, and loaded no model or pipeline code
    assert str(missing) in up["model_error"] and "does not exist" in up["model_error"]
    assert any(text.startswith("Model error:") for text in up["status"])
    assert up["rows"][0][1] != "✗ failed"  # not the entry's fault: it waits for a model
    assert_nothing_left(tui, data_dir, [up["ui"], up["worker"], up["redis"]])
    log = (data_dir / "logs" / "worker.log").read_text()
    assert "does not exist" in log  # the worker's output went to its log, not the screen


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGHUP, 129)])
def test_a_signal_closes_everything(tui, data_dir, signum: int, code: int) -> None:
    proc = start(data_dir)
    up = report(proc)
    proc.send_signal(signum)
    assert proc.wait(60) == code, proc.stderr.read() if proc.stderr else ""
    assert_nothing_left(tui, data_dir, [up["worker"], up["redis"]])


def test_after_sigkill_the_worker_and_the_server_go_by_themselves(tui, data_dir) -> None:
    proc = start(data_dir)
    up = report(proc)
    proc.kill()
    proc.wait(10)
    # The worker notices its parent is gone (heartbeat: 2 s), stops, and as the last client
    # shuts the server down with it.
    assert_nothing_left(tui, data_dir, [up["worker"], up["redis"]], timeout=60)


async def test_a_dead_worker_is_restarted_and_the_status_says_so(tui, data_dir) -> None:
    app = CharlieApp(clock=tui.clock, poll_interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:

        def status() -> str:
            return "  ".join(str(label.render()) for label in app.screen.query("StatusBar Label"))

        await tui.wait_for(pilot, lambda: "Worker running" in status(), 60, "the worker")
        process = app.runtime.process
        assert process is not None
        first = process.state().pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await tui.wait_for(pilot, lambda: "restarting" in status(), 30, "the restart notice")
        assert "Worker stopped (killed by SIGKILL), restarting" in status()
        await tui.wait_for(pilot, lambda: "Worker running" in status(), 60, "the new worker")
        second = process.state().pid
        assert second not in (None, first)
        assert process.state().restarts == 1
        await pilot.press("q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, 60, "the exit")
    assert gone(second)
    assert tui.redis_servers_under(data_dir) == []

"""One app per data dir, and the command line around it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from charlie_tui.cli import main
from charlie_tui.instance import AlreadyOpenError, InstanceLock

CHARLIE_TUI = Path(sys.executable).with_name("charlie-tui")
ESCAPES = re.compile(r"\x1b(?:\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07]*\x07)")


def said_at_exit(stderr: str) -> str:
    """What ``charlie-tui`` printed once it gave the terminal back: the app draws its first
    frame before it reads the settings and takes the lock, and says why it stopped after."""
    return ESCAPES.split(stderr)[-1]


def test_a_second_lock_on_the_same_dir_is_refused_with_the_holder(tmp_path: Path) -> None:
    with InstanceLock(tmp_path / "data"):
        with pytest.raises(AlreadyOpenError) as caught:
            InstanceLock(tmp_path / "data").acquire()
        assert caught.value.pid == os.getpid()
        assert str(caught.value).startswith(
            f"Charlie is already open on {tmp_path / 'data'} (pid {os.getpid()})."
        )
    with InstanceLock(tmp_path / "data"):  # released: free again
        pass


def test_a_second_charlie_tui_says_so_and_exits_1(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with InstanceLock(data_dir):
        result = subprocess.run(
            [str(CHARLIE_TUI)],
            env={**os.environ, "CHARLIE_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    said = said_at_exit(result.stderr)
    assert said.startswith(f"Charlie is already open on {data_dir} (pid {os.getpid()})")
    assert "Traceback" not in result.stderr
    assert not (data_dir / "db").exists()  # refused before opening anything


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    code = (
        "import sys, time\n"
        "from charlie_tui.instance import InstanceLock\n"
        f"InstanceLock(__import__('pathlib').Path({str(data_dir)!r})).acquire()\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(AlreadyOpenError) as caught:
        InstanceLock(data_dir).acquire()
    assert caught.value.pid == holder.pid
    holder.kill()
    holder.wait()
    with InstanceLock(data_dir):
        pass


def test_help_describes_the_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for setting in ("CHARLIE_DATA_DIR", "CHARLIE_LLM_MODEL_PATH", "CHARLIE_APPENDFSYNC"):
        assert setting in out


INVALID = [("CHARLIE_APPENDFSYNC", "sometimes"), ("CHARLIE_KEYS", "ctrl+e")]
"""A value of the wrong kind, and keys that are not JSON (pydantic-settings' own error)."""


@pytest.mark.parametrize(("variable", "value"), INVALID)
def test_an_invalid_setting_is_a_message(tmp_path: Path, variable: str, value: str) -> None:
    result = subprocess.run(
        [str(CHARLIE_TUI)],
        env={**os.environ, "CHARLIE_DATA_DIR": str(tmp_path), variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    said = said_at_exit(result.stderr)
    field = variable.removeprefix("CHARLIE_").lower()
    assert said.startswith("charlie-tui: a setting is invalid:") and field in said
    assert not list(tmp_path.iterdir())  # stopped before the data dir was touched


@pytest.mark.parametrize(("variable", "value"), INVALID)
def test_a_command_with_an_invalid_setting_is_a_message(
    monkeypatch, capsys, tmp_path, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["export", "--format", "json", str(tmp_path / "out.json")]) == 2
    assert "a setting is invalid" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()

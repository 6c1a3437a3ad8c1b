"""One definition per setting: the README table and both --help texts come from the settings'
field descriptions, the app-to-worker hand-over names come from the fields, and the two
packages that must not import each other agree on the data dir."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from charlie_inference import ModelSettings, data_dir
from charlie_worker.settings import WorkerSettings, settings_help, settings_rows

ROOT = Path(__file__).resolve().parents[1]
ROWS = settings_rows(WorkerSettings) + settings_rows(ModelSettings)


def _readme_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- settings-table -->", 1)[1].split("<!-- /settings-table -->", 1)[0]
    rows = re.findall(r"^\| `(CHARLIE_\w+)` \| (.*?) \| (.*?) \|$", table, flags=re.M)
    return [(name, hint.strip(), meaning.strip()) for name, hint, meaning in rows]


def test_the_readme_table_is_the_settings() -> None:
    assert _readme_rows() == ROWS


def test_every_user_setting_is_documented() -> None:
    """A documented field shows up everywhere; the hand-over fields are the only silent ones."""
    documented = {name for name, _, _ in ROWS}
    for cls in (WorkerSettings, ModelSettings):
        prefix = cls.model_config["env_prefix"]
        silent = {prefix + n.upper() for n, f in cls.model_fields.items() if not f.description}
        assert not documented & silent
    assert "CHARLIE_DATA_DIR" in documented and "CHARLIE_LLM_MODEL_PATH" in documented
    assert "CHARLIE_REDIS_SOCKET" not in documented  # set by the app for its worker


@pytest.mark.parametrize(
    ("command", "classes"),
    [
        ("charlie_tui.cli", (WorkerSettings,)),
        ("charlie_worker", (WorkerSettings, ModelSettings)),
    ],
)
def test_help_lists_the_settings(command: str, classes: tuple[type, ...]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", command, "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert settings_help(*classes) in out
    for cls in classes:
        for name, _, _ in settings_rows(cls):
            assert name in out


def test_hand_over_names_come_from_the_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WorkerSettings.env_name("redis_socket") == "CHARLIE_REDIS_SOCKET"
    monkeypatch.setenv(WorkerSettings.env_name("parent_pid"), "4242")
    assert WorkerSettings().parent_pid == 4242
    with pytest.raises(KeyError):
        WorkerSettings.env_name("no_such_field")


def test_worker_and_inference_agree_on_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARLIE_DATA_DIR")
    assert WorkerSettings().data_dir == data_dir()
    monkeypatch.setenv("CHARLIE_DATA_DIR", "~/elsewhere")
    assert WorkerSettings().data_dir == data_dir() == Path.home() / "elsewhere"

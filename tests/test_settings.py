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
from charlie_inference.settings_file import SETTINGS_FILE_ENV, settings_file_path, write_setting
from charlie_tui.settings import AppSettings
from charlie_worker.settings import WorkerSettings, settings_file, settings_help, settings_rows

ROOT = Path(__file__).resolve().parents[1]
ROWS = settings_rows(AppSettings) + settings_rows(ModelSettings)
"""The app's settings are the store's and its own keys; the model's come after."""


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
    for cls in (AppSettings, ModelSettings):
        prefix = cls.model_config["env_prefix"]
        silent = {prefix + n.upper() for n, f in cls.model_fields.items() if not f.description}
        assert not documented & silent
    assert "CHARLIE_DATA_DIR" in documented and "CHARLIE_LLM_MODEL_PATH" in documented
    assert "CHARLIE_REDIS_SOCKET" not in documented  # set by the app for its worker


@pytest.mark.parametrize(
    ("command", "classes"),
    [
        ("charlie_tui.cli", (AppSettings,)),
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


def test_worker_and_inference_agree_on_the_settings_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_file() == settings_file_path()
    monkeypatch.delenv(SETTINGS_FILE_ENV)
    assert settings_file() == settings_file_path()
    assert settings_file_path().name == "settings.toml"


def test_the_store_reads_the_settings_file_beneath_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One file for both sides: its top level is the store's, its [llm] table the model's."""
    write_setting(None, "max_entry_chars", "500")
    write_setting(None, "data_dir", str(tmp_path / "journal"))
    write_setting("llm", "n_ctx", "4096")
    monkeypatch.delenv("CHARLIE_DATA_DIR")
    assert WorkerSettings().max_entry_chars == 500
    assert WorkerSettings().data_dir == data_dir() == tmp_path / "journal"
    assert ModelSettings().n_ctx == 4096
    monkeypatch.setenv("CHARLIE_MAX_ENTRY_CHARS", "900")
    assert WorkerSettings().max_entry_chars == 900

"""The settings file: every process reads it beneath the environment; `use` edits one key of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from charlie_inference import ModelSettings, bundled_model_path, data_dir
from charlie_inference.settings_file import (
    SettingsFileError,
    settings_file_path,
    write_setting,
)

WRITTEN = """\
# my Charlie settings
data_dir = "~/journal-data"  # synced folder

[llm]
n_ctx = 4096
"""


def test_model_settings_read_the_llm_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARLIE_DATA_DIR")
    settings_file_path().write_text(WRITTEN + 'model_path = "~/models/q.gguf"\n')
    settings = ModelSettings()
    assert settings.n_ctx == 4096
    assert settings.model_path == Path.home() / "models" / "q.gguf"
    assert data_dir() == Path.home() / "journal-data"


def test_the_environment_wins_over_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    settings_file_path().write_text(WRITTEN)
    monkeypatch.setenv("CHARLIE_LLM_N_CTX", "1024")
    assert ModelSettings().n_ctx == 1024
    assert data_dir() != Path.home() / "journal-data"  # CHARLIE_DATA_DIR is set by conftest


def test_write_setting_keeps_every_other_key_and_comment() -> None:
    path = settings_file_path()
    path.write_text(WRITTEN)
    write_setting("llm", "model_path", "/models/q.gguf")
    assert path.read_text() == WRITTEN + 'model_path = "/models/q.gguf"\n'
    write_setting("llm", "model_path", None)
    assert path.read_text() == WRITTEN
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left no temporary file


def test_write_setting_creates_the_file_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "settings.toml"
    write_setting("llm", "model_path", "/m.gguf", path)
    assert path.read_text() == '[llm]\nmodel_path = "/m.gguf"\n'


def test_a_broken_file_is_named_and_never_overwritten() -> None:
    path = settings_file_path()
    path.write_text("[llm\nmodel_path = 1")
    with pytest.raises(SettingsFileError, match=f"The settings file {path} is not valid TOML"):
        ModelSettings()
    with pytest.raises(SettingsFileError):
        write_setting("llm", "model_path", "/m.gguf")
    assert path.read_text() == "[llm\nmodel_path = 1"


def test_no_file_means_the_defaults() -> None:
    assert not settings_file_path().exists()
    assert ModelSettings().model_path == bundled_model_path()

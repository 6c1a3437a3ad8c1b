from __future__ import annotations

from pathlib import Path

import pytest

from charlie_inference import ModelSettings, bundled_model_path, data_dir


def test_default_model_is_the_bundled_gguf() -> None:
    path = bundled_model_path()
    assert path.is_file()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert ModelSettings().model_path == path


def test_environment_overrides_every_model_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHARLIE_LLM_MODEL_PATH", str(tmp_path / "llama3.gguf"))
    monkeypatch.setenv("CHARLIE_LLM_N_CTX", "4096")
    monkeypatch.setenv("CHARLIE_LLM_GPU_LAYERS", "33")
    monkeypatch.setenv("CHARLIE_LLM_THREADS", "3")
    monkeypatch.setenv("CHARLIE_LLM_PROGRAM_STATE", str(tmp_path / "state.json"))
    settings = ModelSettings()
    assert settings.model_path == tmp_path / "llama3.gguf"
    assert (settings.n_ctx, settings.gpu_layers, settings.threads) == (4096, 33, 3)
    assert settings.program_state == tmp_path / "state.json"
    assert settings.model_name == "llama3"


def test_program_state_defaults_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHARLIE_LLM_PROGRAM_STATE")
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert ModelSettings().program_state == tmp_path / "programs" / "entity_extractor.json"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARLIE_LLM_N_CTX", "12")
    with pytest.raises(ValueError, match="n_ctx"):
        ModelSettings()

"""Loading: quiet on success, one clear error naming path and setting on failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from charlie_inference import ModelLoadError, ModelSettings, bundled_model_path, load_model


def _settings(path: Path) -> ModelSettings:
    return ModelSettings(model_path=path)


def test_missing_file_names_path_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    with pytest.raises(ModelLoadError) as info:
        load_model(_settings(path))
    message = str(info.value)
    assert str(path) in message and "does not exist" in message
    assert "CHARLIE_LLM_MODEL_PATH" in message


def test_random_bytes_are_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.gguf"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(ModelLoadError, match="not a GGUF"):
        load_model(_settings(path))


def test_truncated_gguf_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "truncated.gguf"
    with bundled_model_path().open("rb") as source:
        path.write_bytes(source.read(64 * 1024))
    with pytest.raises(ModelLoadError, match=r"llama\.cpp could not read it"):
        load_model(_settings(path))


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a file"):
        load_model(_settings(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.gguf"
    path.write_bytes(b"GGUF")
    path.chmod(0)
    with pytest.raises(ModelLoadError, match="not readable"):
        load_model(_settings(path))


def test_real_model_loads_quietly_with_explicit_context_and_threads(
    capfd: pytest.CaptureFixture[str],
) -> None:
    llama = load_model(ModelSettings(n_ctx=1024, threads=1))
    try:
        assert llama.n_ctx() == 1024
        assert llama.context_params.n_threads == 1
    finally:
        llama.close()
    out, err = capfd.readouterr()
    assert out == "" and err == "", "llama.cpp wrote to the terminal"

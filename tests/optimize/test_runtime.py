"""The optimizer runs the model the app runs: the same settings pick a local GGUF or a server."""

from __future__ import annotations

import pytest

from charlie_inference import DspyLM, ModelSettings, bundled_model_path
from charlie_inference.remote import RemoteEngine
from charlie_inference.settings_file import write_setting
from charlie_optimize.runtime import dspy_session


def test_a_model_server_setting_reaches_the_optimizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHARLIE_LLM_API_BASE (and its dialect) from the settings file: no local task model."""
    write_setting("llm", "api_base", "http://gpu-box:8000/v1")
    write_setting("llm", "api_dialect", "vllm")
    write_setting("llm", "model_path", "/nowhere/not-loaded.gguf")
    with dspy_session(ModelSettings()) as models:
        engine = models.task._engine_spec
        assert isinstance(engine, RemoteEngine)
        assert (engine.url, engine.dialect) == ("http://gpu-box:8000/v1/chat/completions", "vllm")
        assert models.prompt is None


@pytest.mark.slow
def test_the_prompt_model_stays_local_beside_a_server() -> None:
    settings = ModelSettings(api_base="http://gpu-box:8000/v1", threads=1)
    with dspy_session(settings, prompt_model=bundled_model_path()) as models:
        assert isinstance(models.task._engine_spec, RemoteEngine)
        assert isinstance(models.prompt, DspyLM) and not models.prompt.closed
    assert models.prompt.closed

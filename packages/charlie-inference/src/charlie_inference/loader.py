"""Build a ``llama_cpp.Llama`` from settings, quietly, or fail with one clear error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import ModelSettings

if TYPE_CHECKING:
    from llama_cpp import Llama

GGUF_MAGIC = b"GGUF"


class ModelLoadError(RuntimeError):
    """The configured model cannot be loaded; the message names the path and the setting."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"Cannot load the model at {path}: {reason}. "
            "Set CHARLIE_LLM_MODEL_PATH to a readable GGUF file "
            "(or unset it to use the bundled SmolLM2-135M)."
        )


def check_model_file(path: Path) -> None:
    """Reject what llama.cpp would otherwise crash or spew on: missing, unreadable, not GGUF."""
    if not path.exists():
        raise ModelLoadError(path, "the file does not exist")
    if not path.is_file():
        raise ModelLoadError(path, "it is not a file")
    if not os.access(path, os.R_OK):
        raise ModelLoadError(path, "the file is not readable")
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise ModelLoadError(path, "it is not a GGUF model (bad magic bytes)")


def load_model(settings: ModelSettings | None = None) -> Llama:
    """Load the configured GGUF with explicit context size and threads, without terminal spew."""
    settings = settings or ModelSettings()
    path = settings.model_path
    check_model_file(path)
    from llama_cpp import Llama

    try:
        return Llama(
            model_path=str(path),
            n_ctx=settings.n_ctx,
            n_gpu_layers=settings.gpu_layers,
            n_threads=settings.threads,
            n_threads_batch=settings.threads,
            seed=settings.seed,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelLoadError(path, f"llama.cpp could not read it ({exc})") from exc

"""``DspyLM``: a ``dspy.LM`` whose engine is llama.cpp running in this process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import dspy

from .engine import LlamaCppEngine
from .loader import load_model
from .prompt_cache import PromptCache
from .remote import RemoteEngine
from .settings import ModelSettings

if TYPE_CHECKING:
    from llama_cpp import Llama


def _lm_options(settings: ModelSettings) -> dict[str, Any]:
    """What every Charlie LM shares: no response cache, no hidden retries, our sampling."""
    return {
        "cache": False,
        "num_retries": 0,
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
    }


class DspyLM(dspy.LM):
    """The model DSPy programs run on: no HTTP, no litellm, no response cache.

    Caching is off because a local model is cheap to re-ask and a cached answer
    would hide behaviour (and retries at a higher temperature) from the caller.
    """

    def __init__(
        self, settings: ModelSettings | None = None, *, llama: Llama | None = None
    ) -> None:
        settings = settings or ModelSettings()
        llama = llama if llama is not None else load_model(settings)
        cache_dir = settings.prompt_cache_dir
        engine = LlamaCppEngine(
            llama,
            model_name=settings.model_name,
            repeat_penalty=settings.repeat_penalty,
            prompt_cache=PromptCache(cache_dir, Path(llama.model_path)) if cache_dir else None,
        )
        super().__init__(f"llamacpp/{settings.model_name}", engine=engine, **_lm_options(settings))
        self.settings = settings

    @property
    def llama_engine(self) -> LlamaCppEngine:
        return self._engine_spec

    def close(self) -> None:
        """Free the model (DSPy treats custom engines as borrowed and would not)."""
        super().close()
        self.llama_engine.close()

    @property
    def closed(self) -> bool:
        return self.llama_engine.closed


def make_lm(settings: ModelSettings | None = None) -> dspy.LM:
    """The LM the settings ask for: a remote OpenAI-compatible server, or a local GGUF.

    The same programs and optimized state run on either; only a local model holds memory.
    """
    settings = settings or ModelSettings()
    if settings.api_base is None:
        return DspyLM(settings)
    engine = RemoteEngine(
        settings.api_base,
        model_name=settings.api_model,
        api_key=settings.api_key,
        repeat_penalty=settings.repeat_penalty,
        dialect=settings.api_dialect,
    )
    return dspy.LM(
        f"{settings.api_dialect}-server/{settings.api_model}",
        engine=engine,
        **_lm_options(settings),
    )

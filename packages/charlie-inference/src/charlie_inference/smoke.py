"""The setup smoke test behind ``charlie-inference check``: load the configured model, read
one fixed sentence with the real extractor, and measure what a user needs to judge the model.

A model that loads but cannot run the program (too small a context, a broken chat template)
fails here, before the first journal entry waits on it.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass

import dspy

from .lm import DspyLM, make_lm
from .programs.entity_extractor import Entity, load_extractor
from .settings import ModelSettings

CHECK_TEXT = (
    "Lunch at Ottolenghi with Marguerite, then the Ashworth Trust board met in Kettering "
    "and Tobias sent the minutes."
)
"""Names no rule can type alone, so the model is asked about them."""


@dataclass(frozen=True)
class CheckReport:
    model: str
    load_s: float
    extract_s: float
    prompt_tokens: int
    prompt_tps: float | None
    decode_tokens: int
    decode_tps: float | None
    peak_rss_mb: float
    entities: list[Entity]


def run_check(settings: ModelSettings | None = None) -> CheckReport:
    """Load the model the settings name (local GGUF or remote server) and extract once."""
    settings = settings or ModelSettings()
    started = time.perf_counter()
    lm = make_lm(settings)
    loaded = time.perf_counter()
    try:
        with dspy.context(lm=lm):
            entities = load_extractor(settings)(text=CHECK_TEXT).entities
        finished = time.perf_counter()
        prompt, prompt_ms, decode, decode_ms = _token_counts(lm)
    finally:
        lm.close()
    return CheckReport(
        model=settings.api_base or str(settings.model_path),
        load_s=loaded - started,
        extract_s=finished - loaded,
        prompt_tokens=prompt,
        prompt_tps=_rate(prompt, prompt_ms),
        decode_tokens=decode,
        decode_tps=_rate(decode, decode_ms),
        peak_rss_mb=_peak_rss_mb(),
        entities=list(entities),
    )


def _token_counts(lm: dspy.LM) -> tuple[int, float | None, int, float | None]:
    """Prompt and decoded tokens, with llama.cpp's own timings for a local model.

    A remote server's time is not split between prompt and decode: the rates stay unknown.
    """
    if isinstance(lm, DspyLM):
        import llama_cpp

        perf = llama_cpp.llama_perf_context(lm.llama_engine.llama._ctx.ctx)
        return perf.n_p_eval, perf.t_p_eval_ms, perf.n_eval, perf.t_eval_ms
    usage = [entry.get("usage") or {} for entry in lm.history]
    prompt = sum(u.get("prompt_tokens") or 0 for u in usage)
    return prompt, None, sum(u.get("completion_tokens") or 0 for u in usage), None


def _rate(tokens: int, ms: float | None) -> float | None:
    return tokens / (ms / 1000) if ms else None


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes there, KiB here

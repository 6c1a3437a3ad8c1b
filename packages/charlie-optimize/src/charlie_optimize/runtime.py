"""Run DSPy on the configured model for one command: load, configure, quiet, close."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import dspy
from dspy.utils.callback import BaseCallback

from charlie_inference import DspyLM, ModelSettings, make_lm


@dataclass(frozen=True)
class Models:
    task: dspy.LM  # the model the app runs: a local GGUF or the CHARLIE_LLM_API_BASE server
    prompt: DspyLM | None  # a stronger model for MIPRO's instruction proposals, if given


@contextmanager
def dspy_session(
    settings: ModelSettings,
    *,
    prompt_model: Path | None = None,
    callbacks: Sequence[BaseCallback] = (),
) -> Iterator[Models]:
    """Load the task (and prompt) model and make them DSPy's defaults; free them on exit.

    The task model is ``make_lm``'s, as in the worker: the same settings (environment, then the
    settings file) pick a local GGUF or a model server, so the optimized model is the one the
    app runs. The prompt model is always a local GGUF.

    The JSON adapter is the default for every predictor, the instruction proposers
    included: llama.cpp then decodes under the output schema's grammar, which is
    what makes a small model's answers parse.
    """
    task = make_lm(settings)
    prompt: DspyLM | None = None
    try:
        if prompt_model is not None:
            local = {"model_path": prompt_model, "api_base": None}
            prompt = DspyLM(settings.model_copy(update=local))
        with dspy.context(lm=task, adapter=dspy.JSONAdapter(), callbacks=list(callbacks)):
            yield Models(task=task, prompt=prompt)
    finally:
        task.close()
        if prompt is not None:
            prompt.close()


@contextmanager
def library_output(*, shown: bool) -> Iterator[None]:
    """Send DSPy's own prints, logs and tqdm bars to /dev/null unless ``shown``.

    They write to ``sys.stdout``/``sys.stderr`` at call time; under a rich progress
    bar they would shred the display. Our console keeps the real stream.
    """
    if shown:
        yield
        return
    with open(os.devnull, "w") as sink, redirect_stdout(sink), redirect_stderr(sink):
        yield

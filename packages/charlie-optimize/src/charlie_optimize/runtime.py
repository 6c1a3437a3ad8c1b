"""Run DSPy on the local models for one command: load, configure, quiet, close."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import dspy
from dspy.utils.callback import BaseCallback

from charlie_inference import DspyLM, ModelSettings


@dataclass(frozen=True)
class Models:
    task: DspyLM
    prompt: DspyLM | None  # a stronger model for MIPRO's instruction proposals, if given


@contextmanager
def dspy_session(
    settings: ModelSettings,
    *,
    prompt_model: Path | None = None,
    callbacks: Sequence[BaseCallback] = (),
) -> Iterator[Models]:
    """Load the task (and prompt) model and make them DSPy's defaults; free them on exit.

    The JSON adapter is the default for every predictor, the instruction proposers
    included: llama.cpp then decodes under the output schema's grammar, which is
    what makes a small model's answers parse.
    """
    task = DspyLM(settings)
    prompt: DspyLM | None = None
    try:
        if prompt_model is not None:
            prompt = DspyLM(settings.model_copy(update={"model_path": prompt_model}))
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

"""Write and read optimized program states: the one artifact handed to the worker."""

from __future__ import annotations

import os
from pathlib import Path

import dspy

from charlie_inference import ModelSettings, load_extractor
from charlie_inference.programs.entity_extractor import EntityExtractor


def save_program(program: dspy.Module, path: Path) -> None:
    """Save atomically: the worker may load this file at any time and must never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial.json")  # dspy picks the format by suffix
    program.save(str(partial))
    os.replace(partial, path)


def load_state(settings: ModelSettings, state: Path) -> EntityExtractor:
    """The extractor with ``state`` applied, exactly as the worker loads it.

    Unlike ``load_extractor``, a missing file is an error: scoring the unoptimized
    program instead of the one asked for would report a wrong number.
    """
    if not state.is_file():
        raise FileNotFoundError(f"no program state at {state}")
    return load_extractor(settings.model_copy(update={"program_state": state}))


def describe(program: dspy.Module) -> str:
    """How many demos each predictor carries, e.g. ``extract: 4 demos (2 bootstrapped)``."""
    parts = []
    for name, predictor in program.named_predictors():
        # DSPy marks demos taken from the model's own successful runs with augmented=True.
        bootstrapped = sum(1 for demo in predictor.demos if demo.get("augmented", False))
        parts.append(f"{name}: {len(predictor.demos)} demos ({bootstrapped} bootstrapped)")
    return ", ".join(parts)

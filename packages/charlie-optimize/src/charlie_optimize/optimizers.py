"""BootstrapFewShot and MIPROv2 on the entity extractor, interruptible without losing work.

ctrl+c raises ``KeyboardInterrupt`` in the optimizer's loop (DSPy runs everything
on the main thread here: one evaluation thread). Each runner catches it and
returns what exists so far, marked ``interrupted``:

- bootstrap: the demos bootstrapped until then, topped up with labelled ones,
  the program BootstrapFewShot would have built had the train set ended there;
- MIPRO: the best candidate fully scored on the valset so far (``OptimizerWatch``
  copies it as it appears), or nothing if no candidate was scored yet.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import dspy

from charlie_inference.programs.entity_extractor import EntityExtractor

from .metric import f1_metric
from .watch import OptimizerWatch

# A failed entry scores 0 and the run goes on: DSPy must never stop on "too many errors".
NEVER_ABORT = sys.maxsize
MINIBATCH_SIZE = 35

AutoBudget = Literal["light", "medium", "heavy"]


@dataclass(frozen=True)
class Outcome:
    program: dspy.Module | None  # None: interrupted before anything worth saving existed
    interrupted: bool
    score: float | None = None  # best mean entry F1 on the valset (MIPRO only)
    warning: str | None = None


@dataclass(frozen=True)
class MiproBudget:
    """Either an ``auto`` preset, or explicit candidates and trials (then ``auto`` is None)."""

    auto: AutoBudget | None = "light"
    candidates: int | None = None
    trials: int | None = None


Metric = Callable[..., float]


def watched_metric(watch: OptimizerWatch, min_demo_score: float) -> Metric:
    """``f1_metric`` that also tells the watch when bootstrapping judged a demo (trace given)."""

    def metric(example: Any, prediction: Any, trace: Any = None) -> float:
        score = f1_metric(example, prediction, trace)
        if trace is not None:
            watch.demo_scored(score >= min_demo_score)
        return score

    return metric


def run_bootstrap(
    trainset: Sequence[dspy.Example],
    *,
    watch: OptimizerWatch,
    max_demos: int,
    min_demo_score: float,
    seed: int = 0,
) -> Outcome:
    """Few-shot demos from the train set: the model's own good answers first, then gold ones.

    The train set is tried in a seeded order, so another seed gives other demos.
    """
    order = list(trainset)
    random.Random(seed).shuffle(order)
    optimizer = dspy.BootstrapFewShot(
        metric=watched_metric(watch, min_demo_score),
        metric_threshold=min_demo_score,
        max_bootstrapped_demos=max_demos,
        max_labeled_demos=max_demos,
        max_errors=NEVER_ABORT,
    )
    student = EntityExtractor()
    try:
        return Outcome(optimizer.compile(student, trainset=order), interrupted=False)
    except KeyboardInterrupt:
        # name2traces holds the demos bootstrapped so far (absent if stopped before the loop).
        traces = getattr(optimizer, "name2traces", {})
        return Outcome(assemble_demos(student, traces, order, max_demos), interrupted=True)


def assemble_demos(
    student: dspy.Module,
    traces: dict[str, list[dspy.Example]],
    trainset: Sequence[dspy.Example],
    max_demos: int,
) -> dspy.Module:
    """Bootstrapped demos first, then unused labelled train examples: ``max_demos`` in all."""
    program = student.reset_copy()
    for name, predictor in program.named_predictors():
        found = traces.get(name, [])[:max_demos]
        used = {demo.get("text") for demo in found}
        labelled = [example for example in trainset if example.text not in used]
        predictor.demos = found + labelled[: max_demos - len(found)]
    return program


class _MIPROv2(dspy.MIPROv2):
    """MIPROv2 that survives a prompt model whose instruction proposal does not parse.

    DSPy 3.4 catches failures of the data and program summaries but not of the
    proposal itself; a small model rambling past ``max_tokens`` would end the whole
    run. Here the run goes on with the original instruction (and searches demos).
    """

    proposal_error: Exception | None = None

    def _propose_instructions(
        self, program: Any, *args: Any, **kwargs: Any
    ) -> dict[int, list[str]]:
        try:
            return super()._propose_instructions(program, *args, **kwargs)
        except Exception as exc:
            self.proposal_error = exc
            return {i: [p.signature.instructions] for i, p in enumerate(program.predictors())}


def run_mipro(
    trainset: Sequence[dspy.Example],
    valset: Sequence[dspy.Example],
    *,
    watch: OptimizerWatch,
    budget: MiproBudget,
    max_demos: int,
    min_demo_score: float,
    seed: int,
    prompt_model: dspy.LM | None = None,
) -> Outcome:
    """Instructions and demos searched jointly (Bayesian optimization over candidates)."""
    optimizer = _MIPROv2(
        metric=watched_metric(watch, min_demo_score),
        prompt_model=prompt_model,
        auto=budget.auto,
        num_candidates=budget.candidates,
        max_bootstrapped_demos=max_demos,
        max_labeled_demos=max_demos,
        metric_threshold=min_demo_score,
        num_threads=1,  # one in-process model serializes calls anyway; ctrl+c stays on this thread
        max_errors=NEVER_ABORT,
        seed=seed,
        track_stats=False,
    )
    try:
        program = optimizer.compile(
            EntityExtractor(),
            trainset=list(trainset),
            valset=list(valset),
            num_trials=budget.trials,
            # MIPRO's default minibatch (35) is larger than a small valset, where it errors.
            minibatch=len(valset) > MINIBATCH_SIZE,
            minibatch_size=MINIBATCH_SIZE,
        )
    except KeyboardInterrupt:
        program, interrupted = watch.best_program, True
    else:
        interrupted = False
    warning = None
    if optimizer.proposal_error is not None:
        warning = (
            f"the prompt model's instruction proposals failed ({optimizer.proposal_error}); "
            "only the original instruction was tried"
        )
    return Outcome(program, interrupted=interrupted, score=watch.best_score, warning=warning)

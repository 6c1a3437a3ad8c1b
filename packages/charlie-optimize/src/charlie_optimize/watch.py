"""Follows a DSPy optimizer through its callbacks: drives the progress line, keeps the best program.

DSPy's optimizers hold their best program in local variables until they return,
so a ctrl+c would lose it. Every full scoring of a candidate goes through
``dspy.Evaluate``, whose callbacks see the program and its score: the best one is
copied here the moment it appears, and is what an interrupted run saves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dspy.utils.callback import BaseCallback

from charlie_inference.programs.entity_extractor import EntityExtractor

from .progress import ProgressLine

if TYPE_CHECKING:
    import dspy

# MIPROv2 tags the evaluations of a candidate on the whole valset (vs a minibatch) with this key.
FULL_EVAL_KEY = "eval_full"


class OptimizerWatch(BaseCallback):
    """A ``dspy`` callback; register it with ``dspy.context(callbacks=[watch])``."""

    def __init__(self, line: ProgressLine) -> None:
        self.line = line
        self.best_program: dspy.Module | None = None
        self.best_score: float | None = None
        self.trials = 0
        self.kept_demos = 0
        self._extractor_calls: set[str] = set()
        self._evaluations: dict[str, tuple[Any, bool]] = {}
        self._proposing = False

    def demo_scored(self, kept: bool) -> None:
        """Called by the bootstrapping metric: one more demo candidate was judged."""
        self.kept_demos += kept
        if self.best_score is None:
            self.line.note(f"kept {self.kept_demos} demos")

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        if isinstance(instance, EntityExtractor):
            self._extractor_calls.add(call_id)

    def on_module_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        if call_id in self._extractor_calls:
            self._extractor_calls.discard(call_id)
            self.line.advance(failed=exception is not None)

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        # An LM call outside any extraction is the prompt model writing instructions.
        if not self._extractor_calls and not self._proposing:
            self._proposing = True
            self.line.phase("proposing instructions")

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        devset = inputs.get("devset") or instance.devset
        metadata = inputs.get("callback_metadata") or {}
        self._evaluations[call_id] = (
            inputs["program"],
            metadata.get("metric_key") == FULL_EVAL_KEY,
        )
        self.trials += 1
        self._proposing = False
        self.line.phase(f"trial {self.trials}", total=len(devset))

    def on_evaluate_end(
        self, call_id: str, outputs: Any | None, exception: Exception | None = None
    ) -> None:
        program, full = self._evaluations.pop(call_id, (None, False))
        if program is None or not full or exception is not None or outputs is None:
            return
        score = outputs.score / 100  # Evaluate reports a percentage
        if self.best_score is None or score > self.best_score:
            self.best_score = score
            self.best_program = program.deepcopy()
        self.line.note(f"best F1 {self.best_score:.3f}")

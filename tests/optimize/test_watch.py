"""What an interrupted run saves: MIPRO's best so far, bootstrap's partial program."""

from __future__ import annotations

from types import SimpleNamespace

import dspy
from rich.console import Console

from charlie_inference import EntityExtractor
from charlie_optimize.optimizers import assemble_demos
from charlie_optimize.progress import ProgressLine, live_progress
from charlie_optimize.watch import OptimizerWatch


def evaluation(
    watch: OptimizerWatch, call_id: str, program: dspy.Module, percent: float, key: str
) -> None:
    inputs = {"program": program, "devset": [1, 2], "callback_metadata": {"metric_key": key}}
    watch.on_evaluate_start(call_id, None, inputs)
    watch.on_evaluate_end(call_id, SimpleNamespace(score=percent))


def test_watch_keeps_a_copy_of_the_best_full_evaluation() -> None:
    with live_progress(Console(quiet=True), enabled=False) as progress:
        watch = OptimizerWatch(ProgressLine(progress, "test"))
        first, second = EntityExtractor(), EntityExtractor()
        second.classify.signature = second.classify.signature.with_instructions("better")
        evaluation(watch, "a", first, 20.0, "eval_full")
        evaluation(watch, "b", second, 90.0, "eval_minibatch")  # a minibatch never counts
        assert watch.best_score == 0.2
        evaluation(watch, "c", second, 40.0, "eval_full")
        evaluation(watch, "d", first, 30.0, "eval_full")
        watch.on_evaluate_start("e", None, {"program": first, "devset": [1]})
        watch.on_evaluate_end("e", None, KeyboardInterrupt())  # an interrupted evaluation
    assert watch.best_score == 0.4
    assert watch.best_program is not second  # a copy: later trials cannot change it
    assert watch.best_program.classify.signature.instructions == "better"
    assert watch.trials == 5


def test_partial_bootstrap_tops_up_with_labelled_demos() -> None:
    train = [dspy.Example(text=f"entry {i}", entities=[]).with_inputs("text") for i in range(4)]
    found = dspy.Example(text="entry 1", entities=[], augmented=True)
    program = assemble_demos(EntityExtractor(), {"classify": [found]}, train, max_demos=3)
    assert [d.text for d in program.classify.demos] == ["entry 1", "entry 0", "entry 2"]
    assert assemble_demos(EntityExtractor(), {}, train, max_demos=2).classify.demos == train[:2]

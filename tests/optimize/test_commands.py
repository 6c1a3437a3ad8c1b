"""Each command on a tiny budget with the real bundled model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from charlie_inference import EntityExtractor, ModelSettings, load_extractor
from charlie_inference.programs.entity_extractor import HAND_DEMOS
from charlie_optimize.cli import build_parser, main, model_settings
from charlie_optimize.dataset import load_entries, split_entries, to_example
from charlie_optimize.optimizers import run_bootstrap
from charlie_optimize.progress import ProgressLine, live_progress
from charlie_optimize.runtime import dspy_session
from charlie_optimize.state import save_program
from charlie_optimize.watch import OptimizerWatch

pytestmark = pytest.mark.slow

MakeData = Callable[[int, int], Path]


def saved_demos(path: Path) -> list[dict]:
    return json.loads(path.read_text())["classify"]["demos"]


def test_eval_reports_scores(make_data: MakeData, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--data", str(make_data(0, 2)), "--unoptimized"]) == 0
    out = capsys.readouterr().out
    for label in (
        "precision",
        "recall",
        "F1",
        "schema-valid rate",
        "entries",
        "Person",
        "entries/min",
        "tokens/entry",
    ):
        assert label in out
    assert re.search(r"entries\W+2\W", out)


def test_eval_of_a_missing_state_is_an_error(tmp_path: Path) -> None:
    assert main(["eval", "--state", str(tmp_path / "nope.json")]) == 1


def test_bootstrap_saves_where_the_worker_loads(make_data: MakeData, isolated_env: Path) -> None:
    data = make_data(3, 1)
    assert main(["bootstrap", "--data", str(data), "--max-demos", "2"]) == 0
    assert isolated_env.is_file()  # the default output is the worker's program state
    demos = saved_demos(isolated_env)
    assert 1 <= len(demos) <= 2
    train_texts = {e.text for e in load_entries(data) if e.split == "train"}
    assert {d["text"] for d in demos} <= train_texts


def test_loaded_state_is_the_optimized_program(make_data: MakeData, isolated_env: Path) -> None:
    """What bootstrap built is what ``load_extractor`` gives the worker: instructions and demos."""
    train, _ = split_entries(load_entries(make_data(3, 0)))
    settings = ModelSettings()
    with live_progress(Console(quiet=True), enabled=False) as progress:
        watch = OptimizerWatch(ProgressLine(progress, "test"))
        with dspy_session(settings, callbacks=[watch]):
            outcome = run_bootstrap(
                [to_example(e) for e in train], watch=watch, max_demos=2, min_demo_score=0.5
            )
    assert outcome.program is not None and not outcome.interrupted
    save_program(outcome.program, settings.program_state)

    loaded = load_extractor(ModelSettings())
    built = outcome.program.classify.dump_state()
    assert loaded.classify.signature.instructions == outcome.program.classify.signature.instructions
    assert loaded.classify.dump_state()["demos"] == built["demos"]
    assert len(built["demos"]) == 2
    # the state, not the class, carries them: the class has only its hand-written demos
    assert len(EntityExtractor().classify.demos) == len(HAND_DEMOS)


def test_mipro_tiny_budget(make_data: MakeData, tmp_path: Path) -> None:
    output = tmp_path / "nested" / "mipro.json"
    args = ["mipro", "--data", str(make_data(3, 2)), "--output", str(output)]
    assert main([*args, "--candidates", "2", "--trials", "1", "--max-demos", "1"]) == 0
    state = json.loads(output.read_text())["classify"]
    assert state["signature"]["instructions"]
    # one demo, or the program's own two hand-written ones when that candidate won
    assert len(state["demos"]) <= 1 or [d["text"] for d in state["demos"]] == [
        d.text for d in HAND_DEMOS
    ]
    settings = ModelSettings(program_state=output)
    assert (
        load_extractor(settings).classify.signature.instructions
        == state["signature"]["instructions"]
    )


def test_mipro_needs_candidates_and_trials_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["mipro", "--candidates", "2"])
    assert exit_info.value.code == 2
    assert "--candidates and --trials go together" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "cached"), [("eval", True), ("bootstrap", False), ("mipro", False)]
)
def test_only_eval_keeps_instruction_states_on_disk(command: str, cached: bool) -> None:
    """An optimizer's candidates are each evaluated once: saving their states would churn
    the prompt cache and push out the app's."""
    args = build_parser().parse_args([command])
    assert model_settings(args).prompt_cache is cached

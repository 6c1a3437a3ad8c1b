"""``charlie-optimize``: optimize the entity extractor (bootstrap, mipro) or score it (eval).

Exit codes: 0 done, 1 error, 2 bad usage, 130 interrupted (after saving what there was).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import dspy
from rich.console import Console

from charlie_inference import ModelLoadError, ModelSettings, ProgramStateError
from charlie_inference.programs.entity_extractor import (
    EntityExtractor,
    FreeformEntityExtractor,
    load_extractor,
    load_freeform_extractor,
)

from .dataset import (
    DatasetError,
    default_data_path,
    load_entries,
    load_wnut,
    split_entries,
    to_example,
)
from .evaluate import evaluate, report_table
from .optimizers import MiproBudget, Outcome, run_bootstrap, run_mipro
from .progress import ProgressLine, live_progress
from .runtime import dspy_session, library_output
from .state import describe, load_state, save_program
from .watch import OptimizerWatch

INTERRUPTED = 130


def count(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``minimum``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charlie-optimize",
        description="Optimize Charlie's entity extractor offline, or score it. The model is "
        "configured as for the worker (CHARLIE_LLM_* variables).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data",
        metavar="PATH",
        type=Path,
        default=None,
        help="labelled entries, JSONL with text, entities and an optional split field "
        "(default: the dataset shipped with charlie-optimize)",
    )
    common.add_argument(
        "--val-fraction",
        metavar="F",
        type=float,
        default=None,
        help="split train/val at random with this val fraction instead of the data's split "
        "field (default: the split field, or 0.3 when entries lack it)",
    )
    common.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="seed for the random split, bootstrap's order of train entries and MIPRO (default 0)",
    )
    common.add_argument(
        "--threads",
        metavar="N",
        type=count(1),
        default=None,
        help="CPU threads for llama.cpp (default: CHARLIE_LLM_THREADS or half the cores); "
        "DSPy itself runs one entry at a time, as the in-process model serializes calls",
    )
    common.add_argument(
        "--wnut",
        metavar="PATH",
        type=Path,
        default=None,
        help="WNUT-17 JSONL (default: $CHARLIE_WNUT_PATH, else ../shared/data/wnut17.jsonl). "
        "Its test split is kept out on purpose: never tune on it",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show DSPy's own logs and progress bars instead of the progress line",
    )

    optimize = argparse.ArgumentParser(add_help=False)
    optimize.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        default=None,
        help="where to save the optimized program state, a .json file (default: the state "
        "the worker loads on its next model load: CHARLIE_LLM_PROGRAM_STATE, else "
        "<data dir>/programs/entity_extractor.json)",
    )
    optimize.add_argument(
        "--max-demos",
        metavar="N",
        type=count(0),
        default=4,
        help="most few-shot demos in the prompt (default 4)",
    )
    optimize.add_argument(
        "--min-demo-score",
        metavar="F",
        type=float,
        default=1.0,
        help="keep one of the model's own answers as a demo only if its F1 reaches this; "
        "gold labelled demos fill the other slots (default 1.0: only perfect answers)",
    )

    commands.add_parser(
        "bootstrap",
        parents=[common, optimize],
        help="few-shot demos with BootstrapFewShot (minutes)",
        description="Pick few-shot demos with DSPy's BootstrapFewShot and save the program. "
        "ctrl+c stops and saves the demos found so far.",
    )

    mipro = commands.add_parser(
        "mipro",
        parents=[common, optimize],
        help="instructions and demos with MIPROv2 (long)",
        description="Search instructions and demos jointly with DSPy's MIPROv2, scoring "
        "candidates on the val split, and save the best. ctrl+c stops and saves the best "
        "candidate scored so far.",
    )
    mipro.add_argument(
        "--auto",
        choices=["light", "medium", "heavy"],
        default="light",
        help="MIPRO's budget preset (default light); ignored with --candidates/--trials",
    )
    mipro.add_argument(
        "--candidates",
        metavar="N",
        type=count(1),
        default=None,
        help="number of instruction and demo-set candidates; with --trials, replaces --auto",
    )
    mipro.add_argument(
        "--trials",
        metavar="N",
        type=count(1),
        default=None,
        help="number of candidate combinations to score; with --candidates, replaces --auto",
    )
    mipro.add_argument(
        "--select-on",
        choices=["journal", "wnut"],
        default="journal",
        help="score candidates on the journal val split (default), or on --select-rows rows "
        "of WNUT-17's train split: then neither val split is seen and both can report",
    )
    mipro.add_argument(
        "--select-rows",
        metavar="N",
        type=count(1),
        default=150,
        help="WNUT-17 train rows to score candidates on with --select-on wnut (default 150, "
        "a seeded sample)",
    )
    mipro.add_argument(
        "--prompt-model",
        metavar="PATH",
        type=Path,
        default=None,
        help="a stronger GGUF to propose instructions (default: the task model, which "
        "at 135M proposes poor ones)",
    )

    evaluation = commands.add_parser(
        "eval",
        parents=[common],
        help="score a program state",
        description="Score the extractor on the val split: typed entity precision, recall "
        "and F1 (micro), mean entry F1 and schema-valid rate.",
    )
    which = evaluation.add_mutually_exclusive_group()
    which.add_argument(
        "--state",
        metavar="PATH",
        type=Path,
        default=None,
        help="the program state to score (default: the one the worker loads, if it exists)",
    )
    which.add_argument(
        "--unoptimized", action="store_true", help="score the program without any state"
    )
    evaluation.add_argument(
        "--split",
        choices=["val", "train", "all"],
        default="val",
        help="which entries to score (default val; for WNUT-17, val is its dev split)",
    )
    evaluation.add_argument(
        "--dataset",
        choices=["journal", "wnut", "both"],
        default="journal",
        help="the journal entries (--data), WNUT-17 (--wnut; scored on Person, Place and "
        "Organization only), or both (default journal)",
    )
    evaluation.add_argument(
        "--limit",
        metavar="N",
        type=count(1),
        default=None,
        help="score only the first N entries of each dataset (a quick look)",
    )
    evaluation.add_argument(
        "--program",
        choices=["typed", "freeform"],
        default="typed",
        help="typed: candidates from the text, typed by the model (the product's); freeform: "
        "the previous program, where the model writes the list (default typed)",
    )
    return parser


def model_settings(args: argparse.Namespace) -> ModelSettings:
    """The worker's settings (environment), with this run's overrides.

    The optimizers try many instructions and demo sets, each evaluated once: their states
    would only churn the prompt cache (~10 MB written per candidate) and push out the app's.
    """
    overrides: dict[str, object] = {"threads": args.threads} if args.threads is not None else {}
    if args.command in ("mipro", "bootstrap"):
        overrides["prompt_cache"] = False
    return ModelSettings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = Console(), Console(file=sys.stderr, soft_wrap=True)
    if args.command == "mipro" and (args.candidates is None) != (args.trials is None):
        parser.error("--candidates and --trials go together")
    if getattr(args, "output", None) is not None and args.output.suffix != ".json":
        parser.error("--output must be a .json file")
    try:
        settings = model_settings(args)
        entries = load_entries(args.data or default_data_path())
        train_entries, val_entries = split_entries(entries, args.val_fraction, args.seed)
        train = [to_example(e) for e in train_entries]
        val = [to_example(e) for e in val_entries]
        if args.command == "eval":
            datasets = {}
            if args.dataset in ("journal", "both"):
                datasets["journal"] = {"val": val, "train": train, "all": train + val}[args.split]
            if args.dataset in ("wnut", "both"):
                wnut_train, wnut_val = split_entries(load_wnut(args.wnut))
                chosen = {"val": wnut_val, "train": wnut_train, "all": wnut_train + wnut_val}
                datasets["wnut"] = [to_example(e) for e in chosen[args.split]]
            if args.limit is not None:
                datasets = {name: rows[: args.limit] for name, rows in datasets.items()}
            return run_eval(args, settings, datasets, out, err)
        if args.command == "mipro" and args.select_on == "wnut":
            val = selection_rows(args)
        return run_optimize(args, settings, train, val, err)
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted; nothing saved.")
        return INTERRUPTED
    except (DatasetError, ModelLoadError, ProgramStateError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 1


def eval_program(args: argparse.Namespace, settings: ModelSettings) -> tuple[dspy.Module, str]:
    """The program to score and its title."""
    freeform = args.program == "freeform"
    if args.unoptimized:
        program = FreeformEntityExtractor() if freeform else EntityExtractor()
        return program, f"unoptimized {args.program} program"
    if args.state is not None:
        if freeform:
            return load_freeform_extractor(
                settings.model_copy(update={"program_state": args.state})
            ), str(args.state)
        return load_state(settings, args.state), str(args.state)
    if freeform:
        return load_freeform_extractor(settings), f"{args.program} program (user state if any)"
    state = settings.program_state
    where = str(state) if state.is_file() else "the shipped state"
    return load_extractor(settings), f"{args.program} program, {where}"


def run_eval(
    args: argparse.Namespace,
    settings: ModelSettings,
    datasets: dict[str, list[dspy.Example]],
    out: Console,
    err: Console,
) -> int:
    for name, examples in datasets.items():
        if not examples:
            raise DatasetError(f"no {args.split} entries to score in {name}")
    program, title = eval_program(args, settings)
    sizes = ", ".join(f"{len(rows)} {name}" for name, rows in datasets.items())
    err.print(f"Scoring {title} on {sizes} {args.split} entries with {settings.model_name}")
    reports = {}
    with live_progress(err, enabled=not args.verbose) as progress:
        line = ProgressLine(progress, "loading model")
        with library_output(shown=args.verbose), dspy_session(settings):
            for name, examples in datasets.items():
                line.phase(f"eval {name} {args.split}", total=len(examples))
                reports[name] = evaluate(program, examples, line)
    for name, report in reports.items():
        out.print(report_table(report, f"{title} — {name} {args.split} — {settings.model_name}"))
    return 0


def run_optimize(
    args: argparse.Namespace,
    settings: ModelSettings,
    train: list[dspy.Example],
    val: list[dspy.Example],
    err: Console,
) -> int:
    output: Path = args.output or settings.program_state
    if not train:
        raise DatasetError(f"{args.command} learns from train entries; the data has none")
    if args.command == "mipro" and not val:
        raise DatasetError("mipro scores candidates on val entries; the data has none")
    if args.command == "mipro" and args.prompt_model is None:
        err.print(
            f"[yellow]warning:[/] {settings.model_name} also proposes the instructions; a model "
            "this small proposes poor ones. Pass --prompt-model PATH to a stronger GGUF."
        )
    err.print(
        f"{args.command}: {len(train)} train / {len(val)} val entries, {settings.model_name}, "
        f"saving to {output} (ctrl+c stops and saves the best so far)"
    )
    with live_progress(err, enabled=not args.verbose) as progress:
        line = ProgressLine(progress, "loading model")
        watch = OptimizerWatch(line)
        with (
            library_output(shown=args.verbose),
            dspy_session(
                settings, prompt_model=getattr(args, "prompt_model", None), callbacks=[watch]
            ) as models,
        ):
            if args.command == "bootstrap":
                line.phase("bootstrapping demos", total=len(train))
                outcome = run_bootstrap(
                    train,
                    watch=watch,
                    max_demos=args.max_demos,
                    min_demo_score=args.min_demo_score,
                    seed=args.seed,
                )
            else:
                line.phase("bootstrapping demo sets")
                outcome = run_mipro(
                    train,
                    val,
                    watch=watch,
                    budget=mipro_budget(args),
                    max_demos=args.max_demos,
                    min_demo_score=args.min_demo_score,
                    seed=args.seed,
                    prompt_model=models.prompt,
                )
    return finish(outcome, output, err)


def selection_rows(args: argparse.Namespace) -> list[dspy.Example]:
    """A seeded sample of WNUT-17 *train* rows to select candidates on (never its dev split)."""
    wnut_train, _ = split_entries(load_wnut(args.wnut))
    rows = random.Random(args.seed).sample(wnut_train, min(args.select_rows, len(wnut_train)))
    return [to_example(e) for e in rows]


def mipro_budget(args: argparse.Namespace) -> MiproBudget:
    if args.candidates is not None:
        return MiproBudget(auto=None, candidates=args.candidates, trials=args.trials)
    return MiproBudget(auto=args.auto)


def finish(outcome: Outcome, output: Path, err: Console) -> int:
    """Save what the run produced; an interrupted run saves too, and says so."""
    if outcome.warning:
        err.print(f"[yellow]warning:[/] {outcome.warning}")
    if outcome.program is None:
        err.print("[yellow]Interrupted before any candidate was scored; nothing saved.")
        return INTERRUPTED
    save_program(outcome.program, output)
    score = "" if outcome.score is None else f", val mean entry F1 {outcome.score:.3f}"
    if outcome.interrupted:
        err.print(
            f"[yellow]Interrupted;[/] saved the best so far to {output} "
            f"({describe(outcome.program)}{score})"
        )
        return INTERRUPTED
    err.print(
        f"Saved to {output} ({describe(outcome.program)}{score}). "
        f"Score it with: charlie-optimize eval --state {output}"
    )
    return 0

"""Decoding an answer at its choices only (``charlie_inference.choices``) vs under the grammar.

Why: issue 18 asks for twice the backlog throughput, and fewer output tokens count as much as
faster decoding. The extractor's answer ``{"types": {"Sam": "Person", …}}`` leaves the model
one choice a candidate; under the grammar it still decodes every token of it one step at a
time. This runs the shipped program on the same rows both ways, alternating (so the machine's
load falls on both alike), and prints for each: typed P/R/F1 per type (the quality must not
drop), entries a minute, tokens (prompt and answer) and llama.cpp decode calls per entry,
and how many entries got the very same entities both ways.

Rows: the journal set's val split and the first ``--wnut-limit`` rows of the WNUT-17 dev split
(its test split is never used here), as ``extraction_quality.py``.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from _common import alternating, machine, private_data_dir, ratio, table
from extraction_quality import rows

MODES = ("grammar", "choices")


@contextlib.contextmanager
def decoding(mode: str) -> Iterator[None]:
    """``choices``: the engine as shipped; ``grammar``: no answer read as a template."""
    import charlie_inference.choices as choices

    shipped = choices.answer_template
    if mode == "grammar":
        choices.answer_template = lambda _schema: None
    try:
        yield
    finally:
        choices.answer_template = shipped


@contextlib.contextmanager
def counted_evals(llama: Any) -> Iterator[list[int]]:
    """How many times ``llama.eval`` runs (each a ``llama_decode`` batch) inside the block."""
    calls = [0]
    original = llama.eval

    def eval_(tokens: Any) -> None:
        calls[0] += 1
        original(tokens)

    llama.eval = eval_
    try:
        yield calls
    finally:
        del llama.eval


def run(program: Any, lm: Any, examples: list[Any], mode: str) -> dict[str, Any]:
    from charlie_optimize.evaluate import evaluate

    answers: list[list[tuple[str, str]]] = []

    def recorded(text: str) -> Any:
        """The program, each entry's entities kept (none when it failed) for the comparison."""
        found: list[tuple[str, str]] = []
        try:
            prediction = program(text=text)
            found = sorted((e.name, e.type) for e in prediction.entities)
            return prediction
        finally:
            answers.append(found)

    with decoding(mode), counted_evals(lm.llama_engine.llama) as evals:
        report = evaluate(recorded, examples)
    return {
        "report": report,
        "seconds": report.seconds,
        "evals": evals[0] / len(examples),
        "answers": answers,
    }


def changed_entries(
    examples: list[Any], grammar: list[list[tuple[str, str]]], choices: list[list[tuple[str, str]]]
) -> tuple[int, int]:
    """Of the entries whose entities differ, how many score a better and a worse F1 with
    choices than with the grammar (where they differ: each a close call between two types)."""
    from charlie_optimize.metric import SCORED_TYPES, score_entities

    better = worse = 0
    for example, old, new in zip(examples, grammar, choices, strict=True):
        if old == new:
            continue
        f1 = [
            score_entities(
                example.entities, [{"name": n, "type": t} for n, t in found], types=SCORED_TYPES
            ).f1
            for found in (old, new)
        ]
        better += f1[1] > f1[0]
        worse += f1[1] < f1[0]
    return better, worse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wnut-limit", type=int, default=100, help="WNUT-17 dev rows (667 all)")
    parser.add_argument("--reps", type=int, default=2, help="alternating runs of each mode")
    args = parser.parse_args()

    import dspy

    from charlie_inference import DspyLM, ModelSettings, load_extractor

    data = rows(args.wnut_limit)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with private_data_dir():  # no user state: the shipped program
        lm = DspyLM(ModelSettings())
        try:
            with dspy.context(lm=lm):
                program = load_extractor()
                for name, examples in data.items():
                    program(text=examples[0].text)  # warm: the instructions' KV prefix
                    for rep, mode in alternating(MODES, args.reps):
                        result = run(program, lm, examples, mode)
                        results.setdefault((name, mode), []).append(result)
                        print(
                            f"{name} rep {rep} {mode}: F1 {result['report'].counts.f1:.3f},"
                            f" {result['seconds']:.1f} s",
                            flush=True,
                        )
        finally:
            lm.close()

    headers = [
        "data",
        "decoding",
        "Person P/R/F1",
        "Place P/R/F1",
        "Org P/R/F1",
        "micro F1",
        "valid",
        "entries/min",
        "tokens/entry",
        "decode calls/entry",
    ]
    lines, summary = [], []
    for name, examples in data.items():
        speed = {}
        for mode in MODES:
            runs = results[(name, mode)]
            report = runs[0]["report"]
            speed[mode] = 60 * len(examples) * len(runs) / sum(r["seconds"] for r in runs)
            per_type = [
                f"{c.precision:.2f}/{c.recall:.2f}/{c.f1:.2f}" for c in report.per_type.values()
            ]
            lines.append(
                [
                    name,
                    mode,
                    *per_type,
                    f"{report.counts.f1:.3f}",
                    f"{report.valid_rate:.2f}",
                    f"{speed[mode]:.0f}",
                    f"{report.tokens_per_entry:.0f}",
                    f"{runs[0]['evals']:.1f}",
                ]
            )
        first = {mode: results[(name, mode)][0]["answers"] for mode in MODES}
        same = sum(a == b for a, b in zip(*first.values(), strict=True))
        better, worse = changed_entries(examples, first["grammar"], first["choices"])
        f1 = {mode: results[(name, mode)][0]["report"].counts.f1 for mode in MODES}
        summary.append(
            f"{name} F1 {f1['choices']:.3f} vs {f1['grammar']:.3f}, "
            f"{ratio(speed['choices'], speed['grammar']):.2f}x the entries a minute, "
            f"same entities for {same} of {len(examples)} entries (of the others, "
            f"{better} score better with choices, {worse} worse)"
        )
    print()
    print(machine())
    print(table(headers, lines))
    print("SUMMARY choice_decoding: choices vs grammar: " + "; ".join(summary))


if __name__ == "__main__":
    main()

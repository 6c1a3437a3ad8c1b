from __future__ import annotations

import dspy
import pytest

from charlie_inference import Entity
from charlie_optimize.metric import Counts, f1_metric, score_entities


def gold(*pairs: tuple[str, str]) -> dspy.Example:
    return dspy.Example(
        text="...", entities=[{"name": n, "type": t} for n, t in pairs]
    ).with_inputs("text")


def predicted(*pairs: tuple[str, str]) -> dspy.Prediction:
    return dspy.Prediction(entities=[Entity(name=n, type=t) for n, t in pairs])


EXAMPLE = gold(("Maria", "Person"), ("Lisbon", "Place"), ("Google", "Organization"))


def test_typed_match_ignores_case_and_punctuation() -> None:
    prediction = predicted(
        ("maria", "Person"),  # case: match
        ("Lisbon.", "Place"),  # punctuation: match
        ("Google", "Thing"),  # wrong type: a false positive and a miss
        ("Café Luna", "Place"),  # not in gold: false positive
    )
    counts = score_entities(EXAMPLE.entities, prediction.entities)
    assert counts == Counts(tp=2, fp=2, fn=1)
    assert counts.precision == pytest.approx(0.5)
    assert counts.recall == pytest.approx(2 / 3)
    assert counts.f1 == pytest.approx(4 / 7)
    assert f1_metric(EXAMPLE, prediction) == pytest.approx(4 / 7)


def test_perfect_and_duplicates() -> None:
    prediction = predicted(
        ("Maria", "Person"), ("MARIA", "Person"), ("Lisbon", "Place"), ("Google", "Organization")
    )
    assert f1_metric(EXAMPLE, prediction) == 1.0


def test_empty_entries() -> None:
    assert f1_metric(gold(), predicted()) == 1.0  # nothing there, nothing invented
    assert f1_metric(gold(), predicted(("Lisbon", "Place"))) == 0.0
    assert f1_metric(EXAMPLE, predicted()) == 0.0
    assert Counts(tp=0, fp=0, fn=3).precision == 0.0


def test_failed_prediction_scores_zero() -> None:
    # dspy.Evaluate substitutes an empty Prediction when the program raised.
    assert f1_metric(EXAMPLE, dspy.Prediction()) == 0.0
    assert f1_metric(gold(), dspy.Prediction()) == 0.0
    assert f1_metric(EXAMPLE, None) == 0.0


def test_micro_counts_add() -> None:
    total = Counts(1, 2, 3) + Counts(3, 0, 1)
    assert total == Counts(4, 2, 4)
    assert total.f1 == pytest.approx(2 * (4 / 6) * (4 / 8) / (4 / 6 + 4 / 8))


def test_bootstrapping_scores_the_raw_trace() -> None:
    """A demo shows the predictor's raw output, so that is what must be right."""
    final = predicted(("Maria", "Person"))  # cleaned answer: perfect for this gold
    example = gold(("Maria", "Person"))
    raw = dspy.Prediction(
        entities=[Entity(name="Maria", type="Person"), Entity(name="Paris", type="Place")]
    )
    trace = [(object(), {"text": "..."}, raw)]
    assert f1_metric(example, final) == 1.0
    assert f1_metric(example, final, trace) == pytest.approx(2 / 3)

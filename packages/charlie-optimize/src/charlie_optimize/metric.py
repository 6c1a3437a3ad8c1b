"""Typed entity precision, recall and F1, and the DSPy metric built on them.

An entity is right when its normalized name (case, accents, spacing and
punctuation ignored, via ``normalize_name``) and its type both equal a gold
one's. An output that failed to parse scores 0: a wrong answer, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from charlie_inference.programs.entity_extractor import normalize_name

EntityKey = tuple[str, str]
SCORED_TYPES: tuple[str, ...] = ("Person", "Place", "Organization")
"""The types the product is judged on (and all WNUT-17's gold holds): eval scores these."""


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives, summable across entries."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """Nothing predicted is perfectly precise only when nothing was there to find."""
        predicted = self.tp + self.fp
        if predicted == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / predicted

    @property
    def recall(self) -> float:
        """Nothing to find is perfectly recalled only when nothing was invented."""
        gold = self.tp + self.fn
        if gold == 0:
            return 1.0 if self.fp == 0 else 0.0
        return self.tp / gold

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def entity_key(entity: Any) -> EntityKey:
    """(normalized name, type) of an ``Entity``, a gold dict, or anything with name and type."""
    if isinstance(entity, Mapping):
        return normalize_name(str(entity["name"])), str(entity["type"])
    return normalize_name(str(entity.name)), str(entity.type)


def entity_keys(entities: Iterable[Any]) -> set[EntityKey]:
    return {key for key in map(entity_key, entities) if key[0]}


def score_entities(
    gold: Iterable[Any], predicted: Iterable[Any], types: Iterable[str] | None = None
) -> Counts:
    """Set-based counts: a name repeated with the same type counts once.

    With ``types``, only entities of those types count, gold and predicted alike.
    """
    gold_keys, predicted_keys = entity_keys(gold), entity_keys(predicted)
    if types is not None:
        kept = set(types)
        gold_keys = {k for k in gold_keys if k[1] in kept}
        predicted_keys = {k for k in predicted_keys if k[1] in kept}
    tp = len(gold_keys & predicted_keys)
    return Counts(tp=tp, fp=len(predicted_keys) - tp, fn=len(gold_keys) - tp)


def f1_metric(example: Any, prediction: Any, trace: Any = None) -> float:
    """DSPy metric: the entry's typed entity F1, 0.0 for a missing or malformed prediction.

    DSPy's ``Evaluate`` passes an empty ``Prediction`` for a program that raised
    (``ExtractionError``, a truncated answer, anything): it has no ``entities``,
    so it scores 0.

    When DSPy bootstraps demos it passes the ``trace``; the score is then of the
    predictor's raw outputs in it, which is what a demo would show the model. The
    extractor's final answer is cleaned (invented names dropped), so a raw output
    full of invented names can still score 1.0 there, and must not become a demo.
    """
    try:
        if trace is not None:
            if any(_typed(outputs) for _, _, outputs in trace):
                return typing_accuracy(example, trace)
            raw = [entity for _, _, outputs in trace for entity in outputs.entities]
            return score_entities(example.entities, raw).f1
        return score_entities(example.entities, prediction.entities).f1
    except (AttributeError, KeyError, TypeError, ValueError):
        return 0.0


def per_type_counts(
    gold: Iterable[Any], predicted: Iterable[Any], types: Iterable[str] = SCORED_TYPES
) -> dict[str, Counts]:
    """``score_entities`` for each type on its own."""
    gold, predicted = list(gold), list(predicted)
    return {kind: score_entities(gold, predicted, types=[kind]) for kind in types}


def _typed(outputs: Any) -> bool:
    try:
        return outputs.get("types") is not None
    except AttributeError:
        return getattr(outputs, "types", None) is not None


def _as_dict(types: Any) -> dict[str, str]:
    if hasattr(types, "model_dump"):
        types = types.model_dump()
    return {str(k): str(v) for k, v in dict(types).items()}


def typing_accuracy(example: Any, trace: Any) -> float:
    """The share of the asked candidates the typing program typed as the gold does ("None"
    for a candidate that is no gold entity): how a bootstrapped demo of it is judged."""
    gold = {
        normalize_name(str(e["name"]) if isinstance(e, Mapping) else e.name): (
            str(e["type"]) if isinstance(e, Mapping) else e.type
        )
        for e in example.entities
    }
    right = total = 0
    for _, _, outputs in trace:
        for name, kind in _as_dict(outputs["types"]).items():
            total += 1
            right += gold.get(normalize_name(name), "None") == kind
    return right / total if total else 1.0

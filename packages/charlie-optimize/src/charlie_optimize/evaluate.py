"""Score a program on labelled entries: typed entity precision, recall and F1 (micro and per
type), schema-valid rate, speed (entries a minute) and tokens an entry."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import dspy
from rich.table import Table

from .metric import SCORED_TYPES, Counts, per_type_counts, score_entities
from .progress import ProgressLine


@dataclass(frozen=True)
class EvalReport:
    """Micro-averaged counts over the scored types, per-type counts, per-entry figures."""

    counts: Counts
    entries: int
    parsed: int
    f1_sum: float
    per_type: dict[str, Counts] = field(default_factory=dict)
    seconds: float = 0.0
    tokens: int = 0
    model_calls: int = 0

    @property
    def valid_rate(self) -> float:
        """Fraction of entries whose output parsed into the schema."""
        return self.parsed / self.entries if self.entries else 0.0

    @property
    def mean_entry_f1(self) -> float:
        """The mean of the per-entry F1 over the scored types."""
        return self.f1_sum / self.entries if self.entries else 0.0

    @property
    def entries_per_minute(self) -> float:
        return 60 * self.entries / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_entry(self) -> float:
        return self.tokens / self.entries if self.entries else 0.0


def _lm_history() -> list:
    lm = dspy.settings.lm
    return getattr(lm, "history", None) or [] if lm is not None else []


def _tokens(calls: Sequence[dict]) -> int:
    total = 0
    for call in calls:
        usage = call.get("usage") or {}
        total += int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
    return total


def evaluate(
    program: dspy.Module,
    examples: Sequence[dspy.Example],
    line: ProgressLine | None = None,
    types: Sequence[str] = SCORED_TYPES,
) -> EvalReport:
    """Run ``program`` on each example; an unparseable output scores 0, the run goes on.

    Only entities of ``types`` are scored (gold and predicted), by default Person, Place and
    Organization: what WNUT-17 labels and what the product is judged on.
    """
    counts, parsed, f1_sum = Counts(), 0, 0.0
    per_type = {kind: Counts() for kind in types}
    seen = len(_lm_history())
    started = time.perf_counter()
    for example in examples:
        try:
            predicted = list(program(text=example.text).entities)
        except Exception:  # ExtractionError, or anything else the program raised: a wrong answer
            failed, predicted = True, []
        else:
            failed = False
            parsed += 1
        entry = score_entities(example.entities, predicted, types=types)
        for kind, kind_counts in per_type_counts(example.entities, predicted, types).items():
            per_type[kind] += kind_counts
        counts += entry
        f1_sum += 0.0 if failed else entry.f1
        if line is not None:
            line.advance(failed=failed)
            line.note(f"F1 {counts.f1:.3f}")
    seconds = time.perf_counter() - started
    calls = _lm_history()[seen:]
    return EvalReport(
        counts=counts,
        entries=len(examples),
        parsed=parsed,
        f1_sum=f1_sum,
        per_type=per_type,
        seconds=seconds,
        tokens=_tokens(calls),
        model_calls=len(calls),
    )


def report_table(report: EvalReport, title: str) -> Table:
    table = Table(title=title)
    table.add_column("", style="bold")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("F1", justify="right")
    table.add_column("tp / fp / fn", justify="right")
    for kind, c in report.per_type.items():
        table.add_row(
            kind,
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            f"{c.f1:.3f}",
            f"{c.tp} / {c.fp} / {c.fn}",
        )
    c = report.counts
    table.add_row(
        "micro",
        f"{c.precision:.3f}",
        f"{c.recall:.3f}",
        f"{c.f1:.3f}",
        f"{c.tp} / {c.fp} / {c.fn}",
        style="bold",
    )
    table.add_section()
    table.add_row("entries", str(report.entries))
    table.add_row("mean entry F1", f"{report.mean_entry_f1:.3f}")
    table.add_row("schema-valid rate", f"{report.valid_rate:.3f}")
    table.add_row("entries/min", f"{report.entries_per_minute:.1f}")
    table.add_row("tokens/entry", f"{report.tokens_per_entry:.0f}")
    table.add_row("model calls", str(report.model_calls))
    return table

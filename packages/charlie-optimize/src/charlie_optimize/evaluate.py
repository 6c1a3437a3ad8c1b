"""Score a program on labelled entries: typed entity precision, recall, F1, schema-valid rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dspy
from rich.table import Table

from .metric import Counts, score_entities
from .progress import ProgressLine


@dataclass(frozen=True)
class EvalReport:
    """Micro-averaged counts over all entities, plus per-entry figures."""

    counts: Counts
    entries: int
    parsed: int
    f1_sum: float

    @property
    def valid_rate(self) -> float:
        """Fraction of entries whose output parsed into the schema."""
        return self.parsed / self.entries if self.entries else 0.0

    @property
    def mean_entry_f1(self) -> float:
        """The optimizers' score: the mean of ``f1_metric`` over entries."""
        return self.f1_sum / self.entries if self.entries else 0.0


def evaluate(
    program: dspy.Module, examples: Sequence[dspy.Example], line: ProgressLine | None = None
) -> EvalReport:
    """Run ``program`` on each example; an unparseable output scores 0, the run goes on."""
    counts, parsed, f1_sum = Counts(), 0, 0.0
    for example in examples:
        try:
            predicted = program(text=example.text).entities
        except Exception:  # ExtractionError, or anything else the program raised: a wrong answer
            failed = True
            entry = score_entities(example.entities, [])
        else:
            failed = False
            parsed += 1
            entry = score_entities(example.entities, predicted)
        counts += entry
        f1_sum += 0.0 if failed else entry.f1
        if line is not None:
            line.advance(failed=failed)
            line.note(f"F1 {counts.f1:.3f}")
    return EvalReport(counts=counts, entries=len(examples), parsed=parsed, f1_sum=f1_sum)


def report_table(report: EvalReport, title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("entries", str(report.entries))
    table.add_row("precision", f"{report.counts.precision:.3f}")
    table.add_row("recall", f"{report.counts.recall:.3f}")
    table.add_row("F1", f"{report.counts.f1:.3f}")
    table.add_row("mean entry F1", f"{report.mean_entry_f1:.3f}")
    table.add_row("schema-valid rate", f"{report.valid_rate:.3f}")
    c = report.counts
    table.add_row("tp / fp / fn", f"{c.tp} / {c.fp} / {c.fn}")
    return table

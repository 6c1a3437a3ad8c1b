"""One live progress line for long runs: phase, count, a note (the best score) and failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def live_progress(console: Console, *, enabled: bool = True) -> Iterator[Progress]:
    """A started rich ``Progress`` on ``console``.

    It does not capture stdout/stderr: runs send DSPy's own prints elsewhere,
    and a capture would put them back on the screen under the bar.
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TextColumn("[dim]failed {task.fields[failures]}"),
        TimeElapsedColumn(),
        console=console,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not enabled,
    )
    with progress:
        yield progress


class ProgressLine:
    """The single bar of a run, replaced as the run moves through phases."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self.failures = 0
        self._note = ""
        self._task: TaskID = progress.add_task(description, total=None, note="", failures=0)

    def phase(self, description: str, total: int | None = None) -> None:
        """Start a new phase: the count restarts (``total=None``: unknown), note and failures stay.

        A fresh task, because rich cannot set a known total back to unknown. Off a
        terminal (a log, CI) rich draws nothing until the end, so phases are printed.
        """
        self._progress.remove_task(self._task)
        self._task = self._progress.add_task(
            description, total=total, note=self._note, failures=self.failures
        )
        console = self._progress.console
        if not self._progress.disable and not console.is_terminal:
            parts = (description, self._note, f"(failed {self.failures})")
            console.print(" ".join(part for part in parts if part))

    def advance(self, *, failed: bool = False) -> None:
        self.failures += failed
        self._progress.update(self._task, advance=1, failures=self.failures)

    def note(self, text: str) -> None:
        self._note = text
        self._progress.update(self._task, note=text)

"""The always-visible status line: is the worker running, is the model loaded (or broken),
and how many entries wait. Every screen composes one; each follows ``App.status_view``."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from ..formatting import duration, seconds
from ..runtime import Snapshot
from ..worker_process import ProcessState

if TYPE_CHECKING:
    from charlie_worker import WorkerStatus

Level = Literal["ok", "info", "warn", "error", "muted"]
Part = tuple[str, Level]

DatabaseState = Literal["opening", "open", "failed", "closing"]


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything the status bar shows, as one immutable value (a reactive on the app)."""

    database: DatabaseState = "opening"
    snapshot: Snapshot | None = None
    manages_worker: bool = True
    problem: str = ""
    """Why the last poll failed ("" when it did not)."""


class StatusBar(Horizontal):
    """Three parts, each styled by level in tcss: worker, model, queue."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, Part] = {}

    def compose(self) -> ComposeResult:
        yield Label(id="status-worker")
        yield Label(id="status-model")
        yield Label(id="status-queue")

    def on_mount(self) -> None:
        self.watch(self.app, "status_view", self._show)

    def _show(self, view: StatusView) -> None:
        """Update the parts that changed, laying the screen out again only when a part's
        width changes. While the worker reads, every poll changes the model's part ("part 5
        of 84, about 2 min left"), which takes the width the others leave (tcss: ``1fr``),
        and often the queue's ("12 waiting" → "11 waiting"), as wide as before: a layout is
        6-16 ms of the event loop at 120x30 on a 2-core machine, and a key pressed meanwhile
        waits for it."""
        for label_id, part in zip(
            ("status-worker", "status-model", "status-queue"), describe(view), strict=True
        ):
            shown = self._shown.get(label_id)
            if shown == part:
                continue
            self._shown[label_id] = part
            text, level = part
            label = self.query_one(f"#{label_id}", Label)
            resized = shown is None or cell_len(shown[0]) != cell_len(text)
            label.update(text, layout=label_id != "status-model" and resized)
            label.set_classes(f"-{level}")


def describe(view: StatusView) -> tuple[Part, Part, Part]:
    """The worker, model and queue parts of the status line."""
    if view.database == "opening":
        return ("Opening the journal…", "warn"), ("", "muted"), ("", "muted")
    if view.database == "failed":
        return ("Journal unavailable", "error"), ("", "muted"), ("", "muted")
    if view.database == "closing":
        text = "Stopping the worker…" if view.manages_worker else "Closing…"
        return (text, "warn"), ("", "muted"), ("", "muted")
    snapshot = view.snapshot
    if snapshot is None:
        return ("Starting…", "warn"), ("", "muted"), ("", "muted")
    return _worker(snapshot), _model(snapshot), _queue(snapshot, view.problem)


def _worker(snapshot: Snapshot) -> Part:
    process, report = snapshot.process, snapshot.worker
    if snapshot.paused and process is not None and process.phase == "stopping":
        return "Pausing after the entry being read…", "warn"
    if snapshot.paused and not (process and process.phase == "running"):
        return "Reading paused", "warn"
    if process is None:  # this app does not run a worker; one may run on its own
        return ("Worker running", "ok") if report.running else ("Worker off", "muted")
    if process.phase == "running":
        if report.running and report.pid == process.pid:
            return "Worker running", "ok"
        return "Worker starting…", "warn"
    if process.phase == "restarting":
        return (
            f"Worker stopped ({_exit(process)}), restarting {seconds(process.restart_in)}",
            "error",
        )
    return "Worker stopped", "muted"


def _model(snapshot: Snapshot) -> Part:
    """The model's state, or what the worker is doing with it, in words."""
    report = snapshot.worker
    if report.error:
        return f"Model error: {report.error}", "error"
    if report.running and report.activity == "loading":
        return "Loading the model…", "warn"
    if report.running and report.activity == "unloading":
        return "Unloading the model", "info"
    if report.running and report.activity == "reading" and snapshot.queue.waiting:
        return _reading(report, snapshot.queue.waiting), "info"
    name = report.model_name
    if report.model:
        return (f"Model loaded: {name}" if name else "Model loaded"), "ok"
    if report.builtin:
        return f"Model: {name} (built-in; better: charlie-inference models)", "muted"
    return (f"Model: {name}" if name else "Model not loaded"), "muted"


def _reading(report: WorkerStatus, waiting: int) -> str:
    """ "Reading entry 3 of 12, part 5 of 84 (about 2 min left)": ``waiting`` includes the
    entry being read; the part is the chunk of a long entry."""
    words = f"Reading entry {report.read + 1} of {report.read + waiting}"
    if report.parts:
        words += f", part {report.part} of {report.parts}"
    if report.seconds_per_entry > 0:
        words += f" (about {duration(report.seconds_per_entry * waiting)} left)"
    return words


def _queue(snapshot: Snapshot, problem: str) -> Part:
    if problem:
        return f"Database problem: {problem}", "error"
    queue = snapshot.queue
    parts = []
    if queue.waiting:
        parts.append(f"{queue.waiting} waiting")
    if queue.failed:
        parts.append(f"{queue.failed} failed")
    if not parts:
        return "Nothing waiting", "muted"
    return " · ".join(parts), "error" if queue.failed else "info"


def _exit(process: ProcessState) -> str:
    # Here, not at the top: a worker has exited, so the store is loaded by now, and the first
    # frame does not wait for it (tests/tui/test_first_frame.py).
    from charlie_worker import EXIT_SERVER_LOST

    code = process.exit_code
    if code == EXIT_SERVER_LOST:
        return "its database server went away"
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"

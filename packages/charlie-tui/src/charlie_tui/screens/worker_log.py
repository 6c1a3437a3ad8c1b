"""The worker's log, newest lines last: what it read, what failed and why, without leaving
the app. Read from the log file the app's worker writes (``Runtime.log_path``)."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Log

from ..formatting import Clock
from ..messages import LogLoaded
from ..widgets.footer import Footer
from ..widgets.status_bar import StatusBar
from .base import DataScreen

if TYPE_CHECKING:
    from charlie_worker import Journal

MAX_LINES = 1000
"""The newest lines shown: a long-lived log is not read whole."""


def tail(path: Path, lines: int = MAX_LINES) -> list[str]:
    """The last ``lines`` lines of ``path`` (none when it does not exist yet)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            return [line.rstrip("\n") for line in deque(log, maxlen=lines)]
    except FileNotFoundError:
        return []


class WorkerLogScreen(DataScreen):
    """Reloads with the others (when the queue changes), keeping the view at the end."""

    OPENED_BY = "worker_log"
    TITLE = "Charlie"
    SUB_TITLE = "Worker log"
    AUTO_FOCUS = "#worker-log"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self, journal: Journal, clock: Clock, path: Path) -> None:
        super().__init__(journal, clock)
        self.path = path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Log(id="worker-log", max_lines=MAX_LINES)
        yield StatusBar()
        yield Footer()

    def reload(self, focus: str | None = None) -> None:
        path = self.path
        self.load(lambda: LogLoaded(tail(path)))

    def on_log_loaded(self, message: LogLoaded) -> None:
        log = self.query_one(Log)
        log.clear()
        log.write_lines(message.lines or [f"Nothing logged yet ({self.path})."])
        self.sub_title = f"Worker log: {self.path}"

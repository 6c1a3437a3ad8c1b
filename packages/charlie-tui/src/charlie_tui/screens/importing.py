"""Import from the command palette: ask for the file or folder, then show the import's progress
live (items read, entries saved) and say how it went. The same runner as ``charlie-tui import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar

from charlie_worker import Journal

from ..background import run_blocking
from ..importers import READERS
from ..importers.command import HELP
from ..importers.runner import Summary, run_import
from ..messages import OperationFailed
from ..widgets.footer import Footer
from .base import SCREENS_CSS


@dataclass
class ImportProgress(Message):
    read: int
    saved: int
    total: int | None


@dataclass
class ImportFinished(Message):
    summary: Summary


class _Live:
    """The runner's listener: called from the import's thread, so it only posts messages."""

    EVERY = 50
    """Items read between two updates while reading."""

    def __init__(self, screen: ImportScreen) -> None:
        self.screen = screen
        self._read = self._saved = 0
        self._total: int | None = None

    def read(self, count: int) -> None:
        self._read = count
        if count % self.EVERY == 0:
            self.screen.post_message(ImportProgress(count, self._saved, self._total))

    def saving(self, total: int) -> None:
        self._total = total
        self.screen.post_message(ImportProgress(self._read, 0, total))

    def saved(self, count: int) -> None:
        self._saved += count
        self.screen.post_message(ImportProgress(self._read, self._saved, self._total))


class ImportScreen(ModalScreen[Summary | None]):
    """Dismisses with the import's summary, or None when cancelled before it started."""

    CSS_PATH = SCREENS_CSS
    AUTO_FOCUS = "#import-path"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, journal: Journal, kind: str) -> None:
        super().__init__()
        self.journal = journal
        self.kind = kind
        self._importing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="import-dialog"):
            yield Label(f"Import {HELP[self.kind]}", id="import-title")
            yield Input(placeholder="path, then enter", id="import-path")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Label("", id="import-status")
        yield Footer()

    @on(Input.Submitted, "#import-path")
    def _begin(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if self._importing or not event.value.strip():
            return
        self._importing = True
        self.query_one("#import-path", Input).disabled = True
        self.query_one("#import-status", Label).update("Reading…")
        items = READERS[self.kind](path)
        run_blocking(
            self,
            lambda: ImportFinished(run_import(self.journal, items, listener=_Live(self))),
            group="import",
        )

    def on_import_progress(self, message: ImportProgress) -> None:
        bar = self.query_one(ProgressBar)
        status = self.query_one("#import-status", Label)
        if message.total is None:
            status.update(f"Read {message.read:,} items…")
        else:
            bar.update(total=message.total, progress=message.saved)
            status.update(f"Saved {message.saved:,} of {message.total:,} entries…")

    def on_import_finished(self, message: ImportFinished) -> None:
        self.dismiss(message.summary)

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()
        self._importing = False
        self.query_one("#import-path", Input).disabled = False
        self.query_one("#import-status", Label).update(f"Import failed: {message.error}")

    def action_cancel(self) -> None:
        if not self._importing:  # an import under way finishes: its entries are being saved
            self.dismiss(None)

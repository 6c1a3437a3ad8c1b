"""Shown instead of the journal when it cannot be opened: the reason, never a traceback."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from ..widgets.footer import Footer
from .base import SCREENS_CSS


class ProblemScreen(Screen[None]):
    """A full-screen message with where to look next; q quits."""

    CSS_PATH = SCREENS_CSS
    TITLE = "Charlie"
    SUB_TITLE = "Cannot open the journal"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit", id="quit")]

    def __init__(self, title: str, detail: str) -> None:
        super().__init__()
        self.problem_title = title
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="problem"):
            yield Static(self.problem_title, id="problem-title", markup=False)
            yield Static(self.detail, id="problem-detail", markup=False)
        yield Footer()

"""What every journal screen shares: the journal, the clock, and reloading its data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.message import Message
from textual.screen import Screen

from ..background import run_blocking
from ..formatting import Clock
from ..messages import OperationFailed

if TYPE_CHECKING:
    from charlie_worker import Changes, Journal

SCREENS_CSS = Path(__file__).with_name("screens.tcss")
"""The styles of every screen but the entry list. The app reads them after its first frame
(``CharlieApp._read_screens_css``): parsing them before it cost ~4 ms of the start. Each of
those screens names the file as its ``CSS_PATH`` too, so that one opened earlier (a test, a
future path) is styled all the same: Textual reads a screen's file when it is first shown."""


Result = TypeVar("Result")


class JournalScreen(Screen[Result]):
    """A screen on the journal. It may come before the journal is open (the entry list does,
    and an entry written meanwhile), holding a stand-in that says so; the app hands each
    screen the journal once it is open (``use_journal``)."""

    def __init__(self, journal: Journal, clock: Clock) -> None:
        super().__init__()
        self.journal = journal
        self.clock = clock

    def use_journal(self, journal: Journal) -> None:
        """The journal is open: use it from now on."""
        self.journal = journal


class DataScreen(JournalScreen[None]):
    """A screen showing journal data. It reloads when it comes to the front and when the app
    notices a change (an entry saved, queued, read, failed or deleted, a correction), never on
    a key press."""

    CSS_PATH = SCREENS_CSS
    OPENED_BY: ClassVar[str] = ""
    """The app's action that opens this screen, off while it is in front. Named on the screen
    so that the app can tell without importing every screen (it imports each where opened)."""

    def reload(self, focus: str | None = None) -> None:
        """Read this screen's data again; ``focus`` names an entry to put the cursor on."""
        raise NotImplementedError

    def journal_changed(self, changes: Changes) -> None:
        """The journal changed while this screen is in front: reload (a screen that can
        refresh only the entries named does less)."""
        self.reload()

    def load(self, read: Callable[[], Message | None]) -> None:
        """Run a blocking read off the loop; only the newest read of this screen posts."""
        if self.journal.is_open:
            run_blocking(self, read, group="load")

    def on_screen_resume(self) -> None:
        self.reload()

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()
        self.notify(message.error, title="Database problem", severity="error")

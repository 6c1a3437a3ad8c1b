"""Write a new entry or edit one, and say when it happened. The save happens here, off the
loop: a rejected entry (empty, too long, a NUL character, a date that is not one) keeps its
text on screen with the reason.

A new entry can be written from the first frame on, while the journal is still opening (a
couple of seconds on a new data dir): a save asked for then waits for it, and saves what is
in the editor once it has opened (``use_journal``)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Input, Static, TextArea

from ..background import run_blocking
from ..dates import DateError, field_text, parse_entry_date
from ..formatting import Clock
from ..messages import EntrySaved, OperationFailed, SaveFailed
from ..widgets.footer import Footer
from ..widgets.status_bar import StatusBar
from .base import SCREENS_CSS, JournalScreen
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from charlie_worker import Journal

HOLD_RENEW_S = 1.0
"""Keystrokes renew the worker's hold at most this often (one small redis write)."""
WAITING_FOR_JOURNAL = "Saving as soon as your journal is open (a moment)…"


class EditorScreen(JournalScreen[str | None]):
    """Dismisses with the saved entry's uuid, or None when cancelled."""

    CSS_PATH = SCREENS_CSS
    TITLE = "Charlie"
    AUTO_FOCUS = "#editor"
    TEXT_BOX: ClassVar[type[TextArea]] = TextArea  # where the user types: keys.text_box_problems
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(
        self,
        journal: Journal,
        clock: Clock,
        uuid: str | None = None,
        content: str = "",
        date: datetime | None = None,
    ) -> None:
        super().__init__(journal, clock)
        self.uuid = uuid
        self.original = content
        self.date = date
        self.original_date = field_text(date, clock()) if date else ""
        self.sub_title = "Edit entry" if uuid else "New entry"
        self._saving = False
        self._waiting = False
        """A save was asked for before the journal was open: it runs once it is."""
        self._held_at = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            self.original_date,
            placeholder="When: now (or 2024-03-05, yesterday, last friday)",
            id="editor-date",
        )
        yield TextArea(self.original, id="editor", soft_wrap=True, tab_behavior="focus")
        yield Static(id="editor-message")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        editor = self.query_one("#editor", TextArea)
        editor.move_cursor(editor.document.end)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Typing holds reading: the worker starts no new entry until the typing pauses. The
        hold expires by itself; it is renewed at most every ``HOLD_RENEW_S``. (No worker reads
        before the journal is open.)"""
        if not self.journal.is_open:
            return
        now = time.monotonic()
        if now - self._held_at >= HOLD_RENEW_S:
            self._held_at = now
            run_blocking(self, lambda: self.journal.reading.hold(), group="hold")

    def on_unmount(self) -> None:
        """The editor is gone: reading goes on at once, not when the hold lapses."""
        if self._held_at:
            journal = self.journal
            run_blocking(self.app, lambda: journal.reading.release(), group="release-hold")

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        # ctrl+s is a priority binding: it runs as soon as its key arrives, while keys typed
        # just before it in one burst (fast typing, a busy CPU, a slow link) may still wait in
        # the focused box's queue, where the box inserts them. Read at once, the text lost its
        # last words ("The quick bro" was saved); queued behind them, the read has them all.
        (self.focused or self).call_later(self._save_typed)

    def _save_typed(self) -> None:
        text = self.typed
        when = self.query_one("#editor-date", Input).value
        try:
            # Unchanged (or blank) keeps the date: now for a new entry, its own for an edit; a
            # day without a time keeps the entry's time of day.
            date = (
                None
                if when == self.original_date
                else parse_entry_date(when, self.clock(), self.date)
            )
        except DateError as exc:
            self._show_error(str(exc))
            return
        if not self.journal.is_open:
            self._waiting = True
            self._show_message(WAITING_FOR_JOURNAL, error=False)
            return
        run_blocking(self, lambda: self._save(text, date), group="save")

    def use_journal(self, journal: Journal) -> None:
        """The journal has opened: a save that waited for it reads the editor again (the
        user may have typed on) and saves."""
        super().use_journal(journal)
        if self._waiting:
            self._waiting = False
            self._save_typed()

    def _save(self, text: str, date: datetime | None) -> EntrySaved | SaveFailed:
        from charlie_worker import EntryError, EntryNotFoundError

        try:
            if self.uuid is None:
                return EntrySaved(self.journal.add(text, date))
            self.journal.update(self.uuid, text, date)
            return EntrySaved(self.uuid)
        except EntryError as exc:
            return SaveFailed(str(exc))
        except EntryNotFoundError:
            return SaveFailed(
                "This entry was deleted meanwhile. Copy your text (ctrl+a, ctrl+c) and save it "
                "as a new entry."
            )

    def on_entry_saved(self, message: EntrySaved) -> None:
        self.dismiss(message.uuid)

    def on_save_failed(self, message: SaveFailed) -> None:
        self._show_error(message.error)

    def on_operation_failed(self, message: OperationFailed) -> None:
        message.stop()
        self._show_error(f"Not saved: {message.error}")

    def _show_error(self, error: str) -> None:
        self._saving = False
        self._show_message(error, error=True)

    def _show_message(self, text: str, *, error: bool) -> None:
        message = self.query_one("#editor-message", Static)
        message.update(text)
        message.set_class(error, "-error")
        message.display = True

    @property
    def typed(self) -> str:
        """The entry's text as it is in the editor."""
        return self.query_one("#editor", TextArea).text

    @property
    def has_changes(self) -> bool:
        """Whether leaving now would lose typed text (or a changed date)."""
        changed_date = self.query_one("#editor-date", Input).value != self.original_date
        return changed_date or self.typed != self.original

    def action_cancel(self) -> None:
        if not self.has_changes:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        question = "Discard your changes?" if self.uuid else "Discard this entry?"
        self.app.push_screen(ConfirmScreen(question, "Discard"), answered)

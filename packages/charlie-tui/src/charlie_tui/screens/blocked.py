"""The names the user blocked: Charlie never files them in this journal. Unblock one, or
block a name before Charlie ever files it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static

from ..formatting import Clock
from ..messages import BlockedLoaded, Correct
from ..widgets.footer import Footer
from ..widgets.row_table import RowTable
from ..widgets.status_bar import StatusBar
from .base import DataScreen
from .correction_dialogs import NameScreen

if TYPE_CHECKING:
    from charlie_worker import BlockedName, Journal


class BlockedScreen(DataScreen):
    """One row per blocked name, alphabetically."""

    OPENED_BY = "blocked"
    TITLE = "Charlie"
    AUTO_FOCUS = "#blocked"
    SUB_TITLE = "Blocked names"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("x", "unblock", "Unblock", id="unblock"),
        Binding("a", "block_name", "Block a name", id="block-name"),
    ]

    def __init__(self, journal: Journal, clock: Clock) -> None:
        super().__init__(journal, clock)
        self._names: dict[str, BlockedName] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield RowTable(id="blocked")
        yield Static(id="hint")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.add_column("Name", key="name")
        table.loading = True

    def reload(self, focus: str | None = None) -> None:
        self.load(lambda: BlockedLoaded(self.journal.curation.blocked()))

    def on_blocked_loaded(self, message: BlockedLoaded) -> None:
        table = self.query_one(RowTable)
        current = table.highlighted_key
        self._names = {b.norm: b for b in message.names}
        table.loading = False
        table.clear()
        for blocked in message.names:
            table.add_row(Text(blocked.name), key=blocked.norm)
        if current in self._names:
            table.move_cursor(row=table.get_row_index(current))
        self.sub_title = f"Blocked names ({len(self._names)})"
        hint = self.query_one("#hint", Static)
        hint.update(
            "No blocked names. Block an entity (b on its page) and Charlie never files its "
            "name again in this journal."
        )
        hint.display = not self._names
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unblock":
            return self.query_one(RowTable).highlighted_key in self._names
        return True

    def action_unblock(self) -> None:
        if (norm := self.query_one(RowTable).highlighted_key) in self._names:
            self.post_message(Correct(lambda c: c.unblock(norm)))

    def action_block_name(self) -> None:
        def answered(name: str | None) -> None:
            if name and name.strip():
                self.post_message(Correct(lambda c: c.block_name(name)))

        self.app.push_screen(NameScreen("Block the name:"), answered)

"""The key hints at the bottom of every screen: Textual's ``Footer`` without its leak, built
once per change of the keys on offer.

Textual's footer (8.2) builds its keys again each time a screen's bindings are refreshed,
and binds every new key to its own ``compact`` with ``data_bind``. The binding is a watcher
kept on the footer, and Textual drops the watchers of removed widgets only when the watched
value changes (Textualize/textual#6666); ``compact`` never does. So every refresh kept the
previous keys alive: ~950 objects a cursor move in the entry list. The process grew without
bound, and the garbage collector's full passes, which walk every object, grew with it: on
these machines 0.3-0.9 s each after a few hundred key presses, and a key press that met one
waited for it.

Each refresh also queues a rebuild of its own, and refreshes come in bursts: on the first
screen, focusing the entry list and the screen coming to the front refresh them before the
footer has built anything. The first rebuild reads the bindings as they are by then; the
ones queued behind it have nothing new to show and are skipped (each costs ~12 ms of the
first frame's keys on these machines, bench ``ui_start``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer as TextualFooter

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class Footer(TextualFooter):
    """``textual.widgets.Footer`` that lets go of the keys it replaced and builds them again
    only when the bindings changed since it last built them."""

    _changes = 0
    """How many times the screen's bindings were refreshed."""
    _built_after = 0
    """How many of those refreshes the keys on show were built after."""

    def bindings_changed(self, screen: Screen) -> None:
        self._changes += 1
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._built_after = self._changes  # the keys are built from the bindings as they are now
        return super().compose()

    async def recompose(self) -> None:
        if self._built_after == self._changes:
            return  # queued by a refresh that an earlier rebuild has shown already
        await super().recompose()
        # Textual prunes the watchers of closed widgets when the watched value is set: set
        # ``compact`` to itself (the keys still shown get the value they already have).
        self.mutate_reactive(TextualFooter.compact)

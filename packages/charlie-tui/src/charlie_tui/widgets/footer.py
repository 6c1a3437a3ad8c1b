"""The key hints at the bottom of every screen: Textual's ``Footer`` without its leak.

Textual's footer (8.2) builds its keys again each time a screen's bindings are refreshed,
and binds every new key to its own ``compact`` with ``data_bind``. The binding is a watcher
kept on the footer, and Textual drops the watchers of removed widgets only when the watched
value changes (Textualize/textual#6666); ``compact`` never does. So every refresh kept the
previous keys alive: ~950 objects a cursor move in the entry list. The process grew without
bound, and the garbage collector's full passes, which walk every object, grew with it: on
these machines 0.3-0.9 s each after a few hundred key presses, and a key press that met one
waited for it.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """``textual.widgets.Footer`` that lets go of the keys it replaced."""

    async def recompose(self) -> None:
        await super().recompose()
        # Textual prunes the watchers of closed widgets when the watched value is set: set
        # ``compact`` to itself (the keys still shown get the value they already have).
        self.mutate_reactive(TextualFooter.compact)

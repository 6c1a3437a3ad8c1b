"""Asking the command palette in pilot tests: open it, type, wait for its first command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList

Wait = Callable[..., Awaitable[None]]
"""The tests' ``wait_for(pilot, condition, what=...)`` (a conftest helper)."""


async def ask_palette(
    pilot: Pilot, wait_for: Wait, query: str, expect: Callable[[str], bool]
) -> None:
    """Open the palette, type ``query``, and wait until the text of its first command (the
    title, then the help on the next line) is what ``expect`` wants."""
    await pilot.press("ctrl+p")
    assert CommandPalette.is_open(pilot.app)
    await pilot.press(*query)
    palette = pilot.app.screen.query_one(OptionList)

    def first() -> str:
        return str(palette.get_option_at_index(0).prompt) if palette.option_count else ""

    await wait_for(pilot, lambda: expect(first()), what=f"the palette's answer to {query!r}")

"""Entries long enough to be read in several chunks, one name in each chunk that no rule can
type, so that reading each chunk is exactly one model call."""

from __future__ import annotations

NAMES = ("Okonkwo", "Zorba", "Marisol", "Tadeusz", "Ingeborg", "Radhika")
MORE_NAMES = ("Oluwaseun", "Bartholomew", "Esperanza", "Wojciech", "Siobhan", "Anneliese")

_FILLER = "the walk along the river was long and quiet, and the tea afterwards was warm. " * 13


def long_entry(names: tuple[str, ...] = NAMES) -> str:
    """One paragraph (one chunk) per name, each ending "Later I thought about <name>."."""
    return "\n\n".join(f"{_FILLER}Later I thought about {name} for a while." for name in names)

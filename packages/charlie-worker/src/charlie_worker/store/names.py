"""How the store compares names: the folding corrections and blocked names are keyed by.

An entity's ``norm_name`` is written by the worker with ``charlie_inference.normalize_name``;
a correction made in the app (a new name, an alias, a blocked name) must be keyed the same
way, and the store may not import model code. So the folding is written here too, for the
store's own writes, and ``tests/worker/test_corrections.py`` checks the two agree.
"""

from __future__ import annotations

import re
import unicodedata

ENTITY_TYPES: tuple[str, ...] = ("Person", "Place", "Organization", "Thing")
"""The types an entity may have (``charlie_inference.ENTITY_TYPES``, checked by the tests)."""

MAX_NAME_CHARS = 60
"""The longest name a correction accepts (the extractor's own bound)."""


def normal_name(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a name, for matching."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())

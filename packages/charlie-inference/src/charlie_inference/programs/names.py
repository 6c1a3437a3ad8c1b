"""Name normalization shared by the programs, the candidate finder and the metric."""

from __future__ import annotations

import re
import unicodedata


def normalize_name(name: str) -> str:
    """Case-, accent-, space- and punctuation-insensitive form of a name, for matching."""
    folded = unicodedata.normalize("NFKD", name).casefold()
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())

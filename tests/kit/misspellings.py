"""Ways an entry may write a name the journal knows: what resolution's near-name search must
still find (``tests/worker/test_resolution_index.py``, ``bench/near_names.py``)."""

from __future__ import annotations

import random


def misspellings(name: str, rng: random.Random) -> list[str]:
    """``name`` as is, shouted, with a typo, cut to its first word, its words run together, a
    letter left out, and two neighbouring letters swapped (each in its longest word, at a
    place ``rng`` picks)."""
    words = name.split()
    longest = max(words, key=len)
    at = rng.randrange(1, len(longest))
    typo = longest[:at] + rng.choice("aeiourst") + longest[at + 1 :]
    swap = rng.randrange(len(longest) - 1) if len(longest) > 1 else 0
    swapped = longest[:swap] + longest[swap + 1 : swap + 2] + longest[swap] + longest[swap + 2 :]
    return [
        name,
        name.upper(),
        name.replace(longest, typo),
        words[0],
        "".join(words),
        name.replace(longest, longest[:at] + longest[at + 1 :]),
        name.replace(longest, swapped),
    ]

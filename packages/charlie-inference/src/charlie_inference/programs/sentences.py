"""An entry's paragraphs and sentences: where the extractor may cut a long entry into chunks,
and what the entity matcher is shown of an entry (the sentences naming the person).

A break is a blank line or the space after ".", "!" or "?". The matcher's sentences also keep
"Dr. Okafor" and "St. Mary's" whole; the extractor's chunks need no such care, as a chunk
holds many sentences and a cut after "Dr." falls inside one only when the entry is cut there.
"""

from __future__ import annotations

import re

from .candidates import ABBREVIATIONS

_BREAK = re.compile(r"(?<=\n)\s*\n|(?<=[.!?])\s+")
"""Where a piece ends: a blank line, or the space after a sentence."""


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` moved inwards past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def pieces(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each paragraph or sentence of ``text``, whitespace trimmed."""
    spans, start = [], 0
    for found in [*_BREAK.finditer(text), None]:
        end, after = (found.start(), found.end()) if found else (len(text), len(text))
        piece = trimmed(text, start, end)
        if piece[0] < piece[1]:
            spans.append(piece)
        start = after
    return spans


def sentences_of(entry: str) -> list[str]:
    """``entry``'s sentences, in order; "Dr. Okafor" and "St. Mary's" are not cut."""
    sentences: list[str] = []
    for start, end in pieces(entry):
        piece = entry[start:end]
        words = sentences[-1].rsplit(maxsplit=1) if sentences else []
        if words and words[-1].rstrip(".").lower() in ABBREVIATIONS:
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences

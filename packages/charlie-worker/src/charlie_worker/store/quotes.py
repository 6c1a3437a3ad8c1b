"""Where an entry names an entity, and the sentences that do: the entity page's quotes and
the entry screen's highlights. Plain text in, character offsets out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_QUOTE_CHARS = 240
"""A longer sentence is cut to this many characters around its first mention."""
CONTEXT_CHARS = 60
"""How much of a cut sentence is kept before its first mention."""

_SENTENCE = re.compile(r"[^\n.!?…]*(?:[.!?…]+|\n|$)")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence from an entry; ``marks`` are the (start, end) offsets of the names in it.
    A sentence cut for length starts and/or ends with "…"."""

    text: str
    marks: tuple[Span, ...]


def name_spans(text: str, names: Iterable[str]) -> list[Span]:
    """Every whole-word, case-insensitive occurrence of any of ``names`` in ``text``, in order,
    never overlapping (a longer name wins: "Priya Sharma" over "Priya")."""
    wanted = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    if not wanted:
        return []
    alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in wanted)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def name_words(names: Iterable[str]) -> list[str]:
    """The words of ``names`` of three letters or more: what an entry that names none of
    them in full may call the entity by ("Whitfield" for "Dana Whitfield"). Entries read
    before ``Entity.written_as`` kept such names are found by them."""
    return [word for name in names for word in name.split() if sum(map(str.isalpha, word)) >= 3]


def entity_spans(text: str, names: Iterable[str]) -> list[Span]:
    """Where ``text`` names an entity called ``names``: ``name_spans``, or, when it names it
    by none of them, the spans of their words (``name_words``). The page's quotes and the
    entry's marks both find an entity this way."""
    names = tuple(names)
    return name_spans(text, names) or name_spans(text, name_words(names))


def quotes(text: str, names: Iterable[str]) -> list[Quote]:
    """Each sentence of ``text`` that names one of ``names`` (``entity_spans``), with the
    names marked."""
    spans = entity_spans(text, names)
    found: list[Quote] = []
    for sentence in _SENTENCE.finditer(text):
        start, end = _strip(text, *sentence.span())
        inside = [(s, e) for s, e in spans if start <= s and e <= end]
        if inside:
            found.append(_cut(text, start, end, inside))
    return found


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut(text: str, start: int, end: int, marks: list[Span]) -> Quote:
    """The sentence, or a window of it around its first mark when it is too long."""
    if end - start > MAX_QUOTE_CHARS:
        lead = max(start, marks[0][0] - CONTEXT_CHARS)
        tail = min(end, lead + MAX_QUOTE_CHARS)
        before, after = ("…" if lead > start else ""), ("…" if tail < end else "")
        body = before + text[lead:tail] + after
        shift = lead - len(before)
        kept = tuple((s - shift, e - shift) for s, e in marks if lead <= s and e <= tail)
        return Quote(body, kept)
    return Quote(text[start:end], tuple((s - start, e - start) for s, e in marks))

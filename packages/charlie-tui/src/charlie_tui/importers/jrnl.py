"""jrnl: its journal file as jrnl keeps it, or its JSON export (``jrnl --export json``).

The journal file (``journal.txt``) is plain text: each entry starts on a line ``[<date>] ``,
its title on the rest of that line (`` *`` at its end: starred), its body on the lines
after, up to the next entry's ``[<date>] ``. The date is written in the user's
``timeformat``, one for the whole file: jrnl's default (``%Y-%m-%d %I:%M:%S %p``, and
``%Y-%m-%d %H:%M`` before it) is read as such, any other with dateparser, as long as it
holds a year. A bracket at a line's start that is no date ("[x] done", "[1] a note") is
text, as in jrnl. An encrypted journal is no text: jrnl itself exports it.

The export holds ``entries[]`` with ``date`` (``YYYY-MM-DD``), ``time`` (``HH:MM``),
``title``, ``body``, ``tags`` and ``starred``; title and body become the text.

Either way jrnl's tags already live in the text as ``@tag``, and the date and time are local
time, as jrnl writes them. jrnl has no entry ids: re-imports are deduplicated by date and text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

from .items import Found, Skipped, describe

ENTRY_START = re.compile(r"(?:^|\n)\[([^\]\n]+)\] ")
TIME_FORMATS = ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %H:%M")
"""jrnl's default ``timeformat`` (``%F %r``), then the one before it."""
EXPORT_IT = "if it is encrypted, run `jrnl --export json > journal.json` and import that"


def read(path: Path) -> Iterator[Found | Skipped]:
    """Every entry of the jrnl journal file or JSON export at ``path``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        yield Skipped(str(path), "no such file")
        return
    except OSError as exc:
        yield Skipped(str(path), f"cannot read it: {describe(exc)}")
        return
    try:
        document = json.loads(raw)
    except ValueError as exc:  # a journal file ("[2024-03-05 09:12] …"), or JSON cut short
        if raw.lstrip()[:1] == b"{":
            yield Skipped(str(path), f"not jrnl JSON: {describe(exc)}")
        else:
            yield from _journal_file(path, raw)
        return
    yield from _export(path, document)


def _journal_file(path: Path, raw: bytes) -> Iterator[Found | Skipped]:
    try:  # as jrnl reads it on any system: a byte-order mark and Windows line ends are no text
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        yield Skipped(str(path), f"not a jrnl journal (not text): {EXPORT_IT}")
        return
    matches = list(ENTRY_START.finditer(text))
    when = _date_reader([match.group(1) for match in matches])
    # Read as they are yielded: a date dateparser reads takes ~3 ms, and the import's progress
    # counts entries yielded (10,000 entries in a format of the user's own: ~30 s).
    starts = ((match, moment) for match in matches if (moment := when(match.group(1))))
    first = next(starts, None)
    if first is None:
        yield Skipped(str(path), f"not a jrnl journal: no line starts with a [date]; {EXPORT_IT}")
        return
    if text[: first[0].start()].strip():
        yield Skipped(f"{path.name} before its first entry", "text without a [date] line")
    bounded = pairwise(chain([first], starts, [None]))
    for number, ((match, moment), following) in enumerate(bounded, start=1):
        end = following[0].start() if following else len(text)
        yield _written(text[match.end() : end], moment, f"{path.name} entry {number}")


def _date_reader(blobs: list[str]) -> Callable[[str], datetime | None]:
    """How this file's ``[date]``s read. jrnl writes them all in one format, so the first of
    its defaults that reads one reads them all, and a bracket that only looks like a date is
    text ("[March 2023] was harder"); else dateparser, on those with a year. The reader
    answers None for a bracket that is no date."""
    for form in TIME_FORMATS:
        if any(_in_format(blob, form) for blob in blobs):
            return lambda blob: _in_format(blob, form)
    return _parsed


def _in_format(blob: str, form: str) -> datetime | None:
    try:
        return datetime.strptime(blob.strip(), form)
    except ValueError:
        return None


def _parsed(blob: str) -> datetime | None:
    if not re.search(r"\d{4}", blob):
        return None
    import dateparser  # a user's own timeformat only: ~150 ms to import

    return dateparser.parse(blob, settings={"RETURN_AS_TIMEZONE_AWARE": False})


def _written(entry: str, when: datetime, where: str) -> Found | Skipped:
    """An entry of the journal file: its title line without the star, and its body."""
    title, _, body = entry.partition("\n")
    text = _text(title.strip().removesuffix("*"), body)
    if not text:
        return Skipped(where, "empty")
    return Found(where, text, when.astimezone())


def _export(path: Path, document: Any) -> Iterator[Found | Skipped]:
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        yield Skipped(str(path), 'not a jrnl export: no "entries" list')
        return
    for number, entry in enumerate(entries, start=1):
        yield _entry(entry, f"{path.name} entry {number}")


def _entry(entry: Any, where: str) -> Found | Skipped:
    if not isinstance(entry, dict):
        return Skipped(where, "not an entry (expected an object)")
    title, body = entry.get("title", ""), entry.get("body", "")
    if not isinstance(title, str) or not isinstance(body, str):
        return Skipped(where, "title and body must be text")
    text = _text(title, body)
    if not text:
        return Skipped(where, "empty")
    day, clock = entry.get("date"), entry.get("time") or "00:00"
    if not isinstance(day, str) or not isinstance(clock, str):
        return Skipped(where, "no date")
    try:
        moment = datetime.fromisoformat(f"{day.strip()}T{clock.strip()}")
    except ValueError:
        return Skipped(where, f"date {day!r} {clock!r} is not a date and time")
    return Found(where, text, moment if moment.tzinfo else moment.astimezone())


def _text(title: str, body: str) -> str:
    """An entry's title and body as its text, a line apart (either may be empty)."""
    return "\n".join(part for part in (title.strip(), body.strip()) if part)

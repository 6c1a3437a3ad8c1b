"""jrnl's JSON export (``jrnl --export json``): ``entries[]`` with ``date`` (``YYYY-MM-DD``),
``time`` (``HH:MM``), ``title``, ``body``, ``tags`` and ``starred``.

Title and body become the text (jrnl's tags already live in it as ``@tag``); the date and time
are local time, as jrnl writes them. jrnl has no entry ids: re-imports are deduplicated by
date and text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from .items import Found, Skipped, describe


def read(path: Path) -> Iterator[Found | Skipped]:
    """Every entry of a jrnl JSON export at ``path``."""
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        yield Skipped(str(path), "no such file")
        return
    except (OSError, ValueError) as exc:
        yield Skipped(str(path), f"not jrnl JSON: {describe(exc)}")
        return
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
    text = "\n".join(part for part in (title.strip(), body.strip()) if part)
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

"""The journal as a folder of Markdown files, one per entry, named ``YYYY-MM-DD-<id>.md``.

Each file is YAML front matter (``id``, ``date`` in ISO 8601 with its offset, ``entities``),
one blank line, then the entry's text exactly as stored: ``charlie-tui import files`` reads it
back to the same text and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from charlie_worker import EntryRow


def file_name(row: EntryRow) -> str:
    return f"{row.entry.date:%Y-%m-%d}-{row.entry.uuid}.md"


def render(row: EntryRow) -> str:
    """One entry's file: front matter, a blank line, the text."""
    meta = {
        "id": row.entry.uuid,
        "date": row.entry.date.isoformat(),
        "entities": [{"name": e.name, "type": e.type} for e in row.entities],
    }
    import yaml  # on first use: the app and the other commands start without it (~50 ms)

    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{row.entry.content}"


def write(rows: Sequence[EntryRow], out: Path) -> int:
    """Write one file per row into the folder ``out`` (made if missing); returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (out / file_name(row)).write_text(render(row), encoding="utf-8", newline="")
    return len(rows)

"""The journal as one JSON file: ``{"entries": [{"id", "date", "text", "entities": [{"name",
"type"}]}]}``, oldest first, ``date`` in ISO 8601 with its UTC offset."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from charlie_worker import EntryRow


def document(rows: Sequence[EntryRow]) -> dict[str, Any]:
    """The export's JSON document for ``rows`` (in the order given)."""
    return {
        "entries": [
            {
                "id": row.entry.uuid,
                "date": row.entry.date.isoformat(),
                "text": row.entry.content,
                "entities": [{"name": e.name, "type": e.type} for e in row.entities],
            }
            for row in rows
        ]
    }


def write(rows: Sequence[EntryRow], out: Path) -> int:
    """Write ``rows`` to the file ``out`` (replaced if it exists); returns how many."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document(rows), ensure_ascii=False, indent=2) + "\n"
    out.write_text(text, encoding="utf-8")
    return len(rows)

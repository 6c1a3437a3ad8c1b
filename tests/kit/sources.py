"""Real import sources built on disk: a Day One export zip, a jrnl journal file and JSON
export, a folder of Markdown and text files. Tests and the import benchmark share them."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def dayone_entry(
    uuid: str, created: datetime, text: str, zone: str = "Europe/Lisbon"
) -> dict[str, Any]:
    """One entry as Day One exports it (its creationDate in UTC, with a Z)."""
    return {
        "uuid": uuid,
        "creationDate": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "modifiedDate": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timeZone": zone,
        "starred": False,
        "text": text,
    }


def dayone_zip(path: Path, entries: Sequence[dict[str, Any]], photos: int = 1) -> Path:
    """A Day One export zip: ``Journal.json`` plus a ``photos/`` folder, as Day One writes."""
    document = {"metadata": {"version": "1.0"}, "entries": list(entries)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", json.dumps(document, indent=2))
        for number in range(photos):
            archive.writestr(f"photos/{number:032x}.jpeg", b"\xff\xd8\xff\xe0 not really a jpeg")
    return path


def generated_dayone(count: int, start: datetime | None = None) -> list[dict[str, Any]]:
    """``count`` Day One entries a day apart, with escapes and photos like real ones."""
    start = start or datetime(2019, 1, 1, 8, 30, tzinfo=UTC)
    return [
        dayone_entry(
            f"{number:032X}",
            start + timedelta(days=number, minutes=number % 60),
            f"Day {number}\\. Walked to the market with Priya\\! "
            f"![](dayone-moment://{number:032X})\n\nBought bread \\- and figs\\.",
        )
        for number in range(count)
    ]


def jrnl_json(path: Path, entries: Sequence[dict[str, Any]]) -> Path:
    """The file ``jrnl --export json`` writes."""
    tags: dict[str, int] = {}
    for entry in entries:
        for tag in entry.get("tags", []):
            tags[tag] = tags.get(tag, 0) + 1
    path.write_text(json.dumps({"tags": tags, "entries": list(entries)}, indent=2))
    return path


def jrnl_entry(
    day: str, time: str, title: str, body: str, tags: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "date": day,
        "time": time,
        "title": title,
        "body": body,
        "tags": list(tags),
        "starred": False,
    }


def jrnl_journal(
    path: Path,
    entries: Sequence[tuple[datetime, str, str, bool]],
    timeformat: str = "%Y-%m-%d %I:%M:%S %p",
) -> Path:
    """The journal file jrnl keeps, of ``(date, title, body, starred)`` entries, written as
    jrnl writes one (``jrnl/journals/Entry.py``, ``__str__``: ``[date] title *``, the body
    on the next lines; entries a line apart) in ``timeformat`` (jrnl's default ``%F %r``)."""
    written = []
    for date, title, body, starred in entries:
        head = f"[{date.strftime(timeformat)}] {title}" + (" *" if starred else "")
        written.append(head + (f"\n{body}" if body else "") + "\n")
    path.write_text("\n".join(written), encoding="utf-8")
    return path


def text_file(path: Path, content: str | bytes, mtime: datetime | None = None) -> Path:
    """A file in an import folder (parents made), optionally with its modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path

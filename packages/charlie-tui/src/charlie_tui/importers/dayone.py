"""Day One's JSON export: the ``.zip`` Day One writes, or the ``.json`` inside it.

An entry is ``{"uuid": 32 hex, "creationDate": UTC ISO 8601, "timeZone": IANA name, "text":
Markdown}``. Day One backslash-escapes Markdown punctuation (``\\.`` ``\\!`` ``\\-``) and embeds
photos as ``![](dayone-moment://…)``: the text is unescaped and the photo references dropped.
The uuid becomes the source id (``dayone:<uuid>``), so importing the export again adds nothing;
the moment keeps its time zone.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .items import Found, Skipped, describe

SOURCE_PREFIX = "dayone:"
_UUID = re.compile(r"[0-9A-Fa-f]{32}")
_MOMENT = re.compile(r"!\[[^\]\n]*\]\(dayone-moment:[^)\s]*\)")
# CommonMark's backslash escapes: a backslash before ASCII punctuation stands for it.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_BLANK_RUN = re.compile(r"\n{3,}")


def read(path: Path) -> Iterator[Found | Skipped]:
    """Every entry of a Day One export (zip or json) at ``path``."""
    if not path.is_file():
        yield Skipped(str(path), "no such file")
        return
    if zipfile.is_zipfile(path):
        yield from _read_zip(path)
    elif path.suffix.lower() == ".zip":
        yield Skipped(str(path), "not a readable zip file (damaged or incomplete)")
    else:
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            yield Skipped(str(path), f"not Day One JSON: {describe(exc)}")
            return
        yield from _read_document(document, str(path))


def _read_zip(path: Path) -> Iterator[Found | Skipped]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".json")]
            if not names:
                yield Skipped(str(path), "the zip holds no Day One JSON file")
            for name in names:
                where = f"{path.name}:{name}"
                try:
                    document = json.loads(archive.read(name))
                except (OSError, ValueError, zipfile.BadZipFile) as exc:
                    yield Skipped(where, f"cannot be read: {describe(exc)}")
                    continue
                yield from _read_document(document, where)
    except (OSError, zipfile.BadZipFile) as exc:
        yield Skipped(str(path), f"not a readable zip file: {describe(exc)}")


def _read_document(document: Any, where: str) -> Iterator[Found | Skipped]:
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        yield Skipped(where, 'not a Day One export: no "entries" list')
        return
    for number, entry in enumerate(entries, start=1):
        yield _entry(entry, f"{where} entry {number}")


def _entry(entry: Any, where: str) -> Found | Skipped:
    if not isinstance(entry, dict):
        return Skipped(where, "not an entry (expected an object)")
    text = entry.get("text")
    if not isinstance(text, str):
        return Skipped(where, "no text")
    text = clean_text(text)
    if not text.strip():
        return Skipped(where, "no text (photos only, or empty)")
    try:
        moment = _moment(entry.get("creationDate"), entry.get("timeZone"))
    except ValueError as exc:
        return Skipped(where, str(exc))
    uuid = entry.get("uuid")
    valid = isinstance(uuid, str) and _UUID.fullmatch(uuid)
    return Found(where, text, moment, SOURCE_PREFIX + uuid.upper() if valid else None)


def clean_text(text: str) -> str:
    """Day One Markdown as the user wrote it: photo references dropped, escapes undone."""
    text = _MOMENT.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    lines = [line.rstrip() if not line.strip() else line for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _moment(created: object, zone: object) -> datetime:
    """The UTC ``creationDate`` shown in the entry's own time zone (UTC if unknown)."""
    if not isinstance(created, str):
        raise ValueError("no creationDate")
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        raise ValueError(f"creationDate {created!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if isinstance(zone, str) and zone:
        try:
            return moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return moment

"""A folder of ``.txt`` and ``.md`` files, recursively: one file, one entry.

The date comes from YAML front matter (``date:``), else from a file name starting with
``YYYY-MM-DD``, else from the file's modification time. Front matter is not part of the text;
one blank line after it is the separator (``export --format markdown`` writes it so).
Hidden files and folders (``.git``, ``.obsidian``) are passed over; any other file is reported
as skipped, so nothing in the folder goes unmentioned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

from .items import Found, Skipped, describe

SUFFIXES = (".md", ".txt")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n", re.DOTALL | re.MULTILINE)


def read(folder: Path) -> Iterator[Found | Skipped]:
    """Every text file under ``folder``, in path order."""
    if not folder.is_dir():
        yield Skipped(str(folder), "not a folder")
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in SUFFIXES:
            yield Skipped(str(relative), "not a .md or .txt file")
            continue
        yield read_file(path, str(relative))


def read_file(path: Path, where: str) -> Found | Skipped:
    """One file as an entry, or why it is not one."""
    try:
        raw = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    except OSError as exc:
        return Skipped(where, f"cannot be read: {describe(exc)}")
    if b"\x00" in raw:
        return Skipped(where, "a binary file, not text")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Skipped(where, "not UTF-8 text (a binary file, or another encoding)")
    try:
        meta, text = split_front_matter(content)
        moment = _front_matter_date(meta) or _name_date(path.name) or modified
    except ValueError as exc:
        return Skipped(where, str(exc))
    if not text.strip():
        return Skipped(where, "empty")
    return Found(where, text, moment)


def split_front_matter(content: str) -> tuple[dict[str, object], str]:
    """``(front matter, text)``; a file without front matter is all text."""
    match = _FRONT_MATTER.match(content)
    if match is None:
        return {}, content
    import yaml  # on first use: the app and the other commands start without it (~50 ms)

    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not valid YAML: {describe(exc)}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a set of key: value lines")
    text = content[match.end() :]
    if text.startswith("\r\n"):
        text = text[2:]
    elif text.startswith("\n"):
        text = text[1:]
    return meta, text


def _front_matter_date(meta: dict[str, object]) -> datetime | None:
    value = meta.get("date")
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.astimezone()
    if isinstance(value, date):
        return datetime.combine(value, time()).astimezone()
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.astimezone()
    raise ValueError(f"front matter date {value!r} is not an ISO 8601 date")


def _name_date(name: str) -> datetime | None:
    match = _DATED_NAME.match(name)
    if match is None:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None  # 2024-13-45-notes.md: not a date after all
    return datetime.combine(day, time()).astimezone()

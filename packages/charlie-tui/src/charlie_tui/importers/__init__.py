"""Importers: a Day One export, a folder of text files, a jrnl journal (its file or its JSON
export), into a journal.

Each format is one module with one reader, ``read(path)``, that yields what it found: a
``Found`` entry or a ``Skipped`` item with the reason, never raising for bad input. The shared
``runner`` validates, drops what the journal already holds, and saves the rest as backlog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from . import dayone, files, jrnl
from .items import Found, Skipped

Reader = Callable[[Path], Iterator[Found | Skipped]]

READERS: dict[str, Reader] = {
    "dayone": dayone.read,
    "files": files.read,
    "jrnl": jrnl.read,
}
"""The formats ``charlie-tui import`` takes, by name."""

__all__ = ["READERS", "Found", "Reader", "Skipped"]

"""Exporters: the whole journal as one JSON file or as a folder of Markdown files.

Each format is one module with ``write(rows, out) -> count``, rows oldest first; ``command``
is ``charlie-tui export``. The Markdown folder is what ``charlie-tui import files`` reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from charlie_worker import EntryRow

from . import json_file, markdown

Writer = Callable[[Sequence[EntryRow], Path], int]

WRITERS: dict[str, Writer] = {"json": json_file.write, "markdown": markdown.write}
"""The formats ``charlie-tui export --format`` takes."""

__all__ = ["WRITERS", "Writer"]

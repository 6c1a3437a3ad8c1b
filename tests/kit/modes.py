"""File-mode checks for the privacy promise: files 0600, directories (and sockets) 0700."""

from __future__ import annotations

import stat
from pathlib import Path


def too_open(root: Path) -> list[str]:
    """Paths under ``root`` (itself included) that anyone but the owner could use."""
    bad = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        want = 0o700 if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode) else 0o600
        if stat.S_IMODE(mode) & 0o077 or (stat.S_ISDIR(mode) and stat.S_IMODE(mode) != want):
            bad.append(f"{oct(stat.S_IMODE(mode))} {path}")
    return bad

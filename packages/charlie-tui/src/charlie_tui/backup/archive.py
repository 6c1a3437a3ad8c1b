"""The backup archive: a ``.tar.gz`` holding ``manifest.json``, ``db/charlie.db`` (a consistent
snapshot of the database, taken with the app and worker running or not), ``programs/`` (the
optimized program state, when there is one) and ``settings.toml`` (the settings file, when
there is one). The manifest also records the settings that shape the data (entry size limit,
fsync policy), whichever way they were set.

Restore puts the settings file back only where there is none: the settings in use on this
machine (another model path, say) are never replaced behind the user's back.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from charlie_worker import (
    WorkerSettings,
    close_db,
    restore_snapshot,
    save_snapshot,
    settings_file,
)

from .scratch import scratch_dir

FORMAT = 1
DB_MEMBER = "db/charlie.db"
PROGRAMS = "programs"
MANIFEST = "manifest.json"
SETTINGS = "settings.toml"


class ArchiveError(ValueError):
    """The archive cannot be used; the message is meant for the user."""


def write_backup(out: Path, settings: WorkerSettings | None = None) -> dict[str, object]:
    """Snapshot the database and write the archive to ``out``; returns its manifest."""
    settings = settings or WorkerSettings()
    manifest: dict[str, object] = {
        "format": FORMAT,
        "created": datetime.now().astimezone().isoformat(),
        "max_entry_chars": settings.max_entry_chars,
        "appendfsync": settings.appendfsync,
    }
    with scratch_dir(settings.data_dir) as scratch:
        snapshot = scratch / "charlie.db"
        try:
            save_snapshot(snapshot)
        finally:
            close_db()
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        # The whole journal: private (0600) whatever the umask, like the data dir itself.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(snapshot, DB_MEMBER)
            programs = settings.data_dir / PROGRAMS
            if programs.is_dir():
                archive.add(programs, PROGRAMS)
            if settings_file().is_file():
                archive.add(settings_file(), SETTINGS)
        partial.replace(out)  # a failed backup never leaves a half archive under the name
    return manifest


def restore_backup(archive_path: Path, settings: WorkerSettings | None = None) -> dict:
    """Put the archive's database and programs in the settings' data dir; returns the
    manifest. The caller has made sure nothing runs on that data dir."""
    settings = settings or WorkerSettings()
    with scratch_dir(settings.data_dir) as root:
        manifest = _extract(archive_path, root)
        restore_snapshot(root / DB_MEMBER, settings)
        programs = root / PROGRAMS
        if programs.is_dir():
            target = settings.data_dir / PROGRAMS
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(programs, target)
        kept = root / SETTINGS
        if kept.is_file():
            manifest["settings"] = _restore_settings(kept)
    return manifest


def _restore_settings(kept: Path) -> str:
    """Put the archive's settings file in place if this machine has none; says what happened."""
    target = settings_file()
    if target.exists():
        return f"kept this machine's settings file {target} (the backup's was not restored)"
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(kept, target)
    target.chmod(0o600)
    return f"restored the settings file to {target}"


def _extract(archive_path: Path, root: Path) -> dict:
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            members = archive.getmembers()
            for member in members:
                name = PurePosixPath(member.name)
                allowed = name.parts[:1] in ((MANIFEST,), ("db",), (PROGRAMS,), (SETTINGS,))
                if not allowed or name.is_absolute() or ".." in name.parts:
                    raise ArchiveError(f"{archive_path} holds {member.name!r}: not a backup.")
            archive.extractall(root, filter="data")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ArchiveError(f"{archive_path} is not a readable backup: {exc}") from None
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        raise ArchiveError(f"{archive_path} has no manifest: not a Charlie backup.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{archive_path} is a backup format this Charlie cannot read.")
    if not (root / DB_MEMBER).is_file():
        raise ArchiveError(f"{archive_path} holds no database.")
    return manifest

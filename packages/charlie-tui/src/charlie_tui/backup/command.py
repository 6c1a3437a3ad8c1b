"""``charlie-tui backup OUT`` and ``charlie-tui restore ARCHIVE [--force]``.

A backup may be taken at any time: with the app open it joins the app's server and snapshots
it there. A restore replaces the database, so nothing may use the data dir meanwhile: it takes
the app's instance lock (refusing while the app is open) and refuses a data dir that already
holds a journal unless ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from charlie_worker import SnapshotError, WorkerSettings

from ..instance import LOCK_NAME, AlreadyOpenError, InstanceLock
from .archive import ArchiveError, restore_backup, write_backup
from .scratch import sweep

LOG_DIR = "logs"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    backup = commands.add_parser(
        "backup",
        help="write the database, optimized programs and settings file to one archive "
        "(the app may be open)",
        description="Write a consistent snapshot of the whole database (every journal, entry, "
        "entity and waiting entry) and the optimized program state to one .tar.gz archive.",
    )
    backup.add_argument("out", type=Path, metavar="OUT", help="the archive to write")
    restore = commands.add_parser(
        "restore",
        help="fill an empty data dir from a backup archive",
        description="Restore a backup into CHARLIE_DATA_DIR. Refuses a data dir that already "
        "holds a journal unless --force, and refuses while the app is open.",
    )
    restore.add_argument("archive", type=Path, metavar="ARCHIVE")
    restore.add_argument(
        "--force", action="store_true", help="replace the journal already in the data dir"
    )


def run_backup(args: argparse.Namespace) -> int:
    try:
        manifest = write_backup(args.out)
    except (SnapshotError, OSError) as exc:
        print(f"charlie-tui backup: {exc}", file=sys.stderr)
        return 1
    print(f"backed up to {args.out} ({manifest['created']})")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = WorkerSettings()
    if not args.archive.is_file():
        print(f"charlie-tui restore: no such file: {args.archive}", file=sys.stderr)
        return 1
    lock = InstanceLock(settings.data_dir)
    try:
        lock.acquire()
    except AlreadyOpenError as exc:
        print(f"charlie-tui restore: {exc}", file=sys.stderr)
        return 1
    try:
        sweep(settings.data_dir)  # what a killed restore left is not a journal
        if _holds_a_journal(settings.data_dir) and not args.force:
            print(
                f"charlie-tui restore: {settings.data_dir} already holds a journal; restore "
                "into an empty data dir (set CHARLIE_DATA_DIR), or pass --force to replace it.",
                file=sys.stderr,
            )
            return 1
        manifest = restore_backup(args.archive, settings)
    except (ArchiveError, SnapshotError, OSError) as exc:
        print(f"charlie-tui restore: {exc}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    print(f"restored the backup of {manifest.get('created')} into {settings.data_dir}")
    if "settings" in manifest:
        print(manifest["settings"])
    return 0


def _holds_a_journal(data_dir: Path) -> bool:
    """Anything in the data dir but our lock file and logs counts: never overwrite silently."""
    if not data_dir.is_dir():
        return False
    return any(p.name not in (LOCK_NAME, LOG_DIR) for p in data_dir.iterdir())

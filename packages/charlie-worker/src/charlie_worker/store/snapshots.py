"""A consistent copy of the whole database while the app and worker run, and putting one back.

``save_snapshot`` asks the server for a background save (``BGSAVE``: redis forks, so the file is
the database at one instant: every entry, entity, waiting mark and queued task together) and
copies the finished RDB file, which redis only ever replaces by an atomic rename.
``restore_snapshot`` puts such a file in an empty data dir and starts the server on it once
with the append-only file off (a server with the AOF on would ignore the RDB and start empty),
which writes the AOF from it; from then on the journal opens as usual.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import redis

from charlie_worker.settings import WorkerSettings

from .connection import get_db, get_redis
from .embedded import EmbeddedServer

SAVE_TIMEOUT_S = 300.0


class SnapshotError(RuntimeError):
    """The snapshot cannot be taken or restored; the message is meant for the user."""


def save_snapshot(dest: Path) -> Path:
    """Write a consistent snapshot of the running (or started) embedded database to ``dest``."""
    if not isinstance(get_db(), EmbeddedServer):
        raise SnapshotError(
            "Backups cover the embedded database; back up an external FalkorDB server "
            "(CHARLIE_FALKORDB_URL) with its own tools."
        )
    client = get_redis()
    _bgsave(client)  # redis forks before it answers: our save is in progress from here
    deadline = time.monotonic() + SAVE_TIMEOUT_S
    while True:
        info = client.info("persistence")
        if not info.get("rdb_bgsave_in_progress"):
            break
        if time.monotonic() > deadline:
            raise SnapshotError("The database did not finish its snapshot in time.")
        time.sleep(0.05)
    if info.get("rdb_last_bgsave_status") != "ok":
        raise SnapshotError("The database could not write its snapshot (see its log).")
    config = client.config_get("dir", "dbfilename")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(config["dir"]) / config["dbfilename"], dest)
    return dest


def _bgsave(client: redis.Redis) -> None:
    """Start a background save, waiting out one already running (it may predate our call)."""
    deadline = time.monotonic() + SAVE_TIMEOUT_S
    while True:
        try:
            client.bgsave()
            return
        except redis.ResponseError as exc:
            if "in progress" not in str(exc) or time.monotonic() > deadline:
                raise SnapshotError(f"The database refused a snapshot: {exc}") from None
            time.sleep(0.05)


def restore_snapshot(snapshot: Path, settings: WorkerSettings | None = None) -> None:
    """Make ``snapshot`` the database of the settings' data dir (any old AOF removed) and
    write its append-only file. Nothing may run on that data dir meanwhile."""
    settings = settings or WorkerSettings()
    db_path = settings.db_path
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.rmtree(db_path.parent / "appendonlydir", ignore_errors=True)
    shutil.copyfile(snapshot, db_path)
    db_path.chmod(0o600)
    EmbeddedServer.open(settings, from_snapshot=True).close([])

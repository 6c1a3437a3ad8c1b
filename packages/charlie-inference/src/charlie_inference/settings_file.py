"""The settings file: one TOML file that every Charlie process reads beneath its environment.

A choice such as ``charlie-inference use`` must reach the app, the worker it spawns and the
optimizer without anyone exporting a variable in every shell, so it is written here. The layout
follows the variable names: top-level keys are the store's (``data_dir`` is
``CHARLIE_DATA_DIR``), the ``[llm]`` table holds the model's (``model_path`` is
``CHARLIE_LLM_MODEL_PATH``). An exported variable still wins over the file.

``charlie_worker.settings`` finds the same file by the same rule (it may not import this
package); tests/test_settings.py holds the two equal.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit

SETTINGS_FILE_ENV = "CHARLIE_SETTINGS_FILE"
SETTINGS_FILE_NAME = "settings.toml"
MODEL_TABLE = "llm"


class SettingsFileError(ValueError):
    """The settings file exists but cannot be read or written; the message names it."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"The settings file {path} {reason}. Fix or remove it.")


def settings_file_path() -> Path:
    """``$CHARLIE_SETTINGS_FILE``, or ``settings.toml`` in the platform's config dir."""
    override = os.environ.get(SETTINGS_FILE_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path("charlie") / SETTINGS_FILE_NAME


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The file's contents as plain data; an absent file is an empty one."""
    path = path or settings_file_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsFileError(path, f"cannot be read ({exc})") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(path, f"is not valid TOML ({exc})") from exc


def model_table(path: Path | None = None) -> dict[str, Any]:
    """The ``[llm]`` table: the model settings the file holds."""
    table = read_settings_file(path).get(MODEL_TABLE, {})
    if not isinstance(table, dict):
        raise SettingsFileError(
            path or settings_file_path(), f"has a {MODEL_TABLE} that is not a table"
        )
    return table


def write_setting(table: str | None, key: str, value: str | None, path: Path | None = None) -> Path:
    """Set ``key`` (in ``[table]``, or at the top level) to ``value``; ``None`` removes it.

    Every other key and comment stays as the user wrote it (tomlkit keeps the layout), and the
    file is replaced in one rename, so a reader never sees half of it. Returns the path.
    """
    path = path or settings_file_path()
    read_settings_file(path)  # refuse to rewrite a file we could not parse
    document = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    )
    section: Any = document
    if table is not None:
        if table not in document:
            if value is None:
                return path
            document[table] = tomlkit.table()
        section = document[table]
    if value is None:
        section.pop(key, None)
    else:
        section[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SettingsFileError(path, f"cannot be written ({exc.strerror or exc})") from exc
    return path

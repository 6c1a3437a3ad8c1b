"""The app's settings: the store's (``WorkerSettings``: where the journal lives, and so on) and
the app's own, its keys. The worker reads only the store's; ``extra="ignore"`` lets it pass
over the ``[keys]`` table of the one settings file they share.

Importing this module imports the store's settings stack (pydantic): the app does it after its
first frame (``runtime``), the command line when it parses.
"""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import SettingsError

from charlie_worker import WorkerSettings

INVALID_SETTING = (ValidationError, SettingsError)
"""What reading ``AppSettings`` raises for a setting the user got wrong: a value of the wrong
kind, or (``SettingsError``) ``CHARLIE_KEYS`` that is not JSON."""


class AppSettings(WorkerSettings):
    """``WorkerSettings`` and the app's keys, read from the same places in the same order."""

    # A dict, so the settings file takes a table (``[keys]`` / ``new-entry = "ctrl+e"``) and
    # the environment JSON. Which ids exist is known only to the app's screens: the app checks
    # them once the journal is open and says which are unknown (``keys.keymap_problems``), so
    # a typo costs one key, not the start.
    keys: dict[str, str] = Field(
        default_factory=dict,
        description="other keys for the app's commands, by binding id ([keys] in the settings "
        "file; the ids: charlie-tui --help)",
        examples=['{"new-entry": "ctrl+e", "quit": "ctrl+x"}'],
    )

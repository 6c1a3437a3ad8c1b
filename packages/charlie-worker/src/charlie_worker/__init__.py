"""charlie-worker: a journal's store and the worker that reads it.

The public face is the store's, and light: importing ``charlie_worker`` or any name below
loads no model code (no dspy, no llama.cpp, no ``charlie_inference``). The names load on
first use::

    from charlie_worker import Journal, add_journal_entry

    journal = Journal()          # the default journal
    journal.open()               # starts (or joins) the embedded database
    uuid = journal.add("Lunch with Priya at the Ferry Building.")
    journal.close()

``python -m charlie_worker`` (the ``charlie-worker`` command) runs the worker that reads the
queued entries; ``charlie_worker.pipeline`` is its code and only it loads a model.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .settings import (
        DEFAULT_JOURNAL,
        WorkerSettings,
        settings_file,
        settings_help,
        validate_journal,
    )
    from .store.changes import Changes
    from .store.connection import close_db
    from .store.corrections import BlockedName, CorrectionError, Undo
    from .store.curation import Curation
    from .store.entity_pages import (
        BROWSER_PAGE,
        EntityList,
        EntityPage,
        EntityQuote,
        Highlight,
        Related,
    )
    from .store.entries import (
        EntryError,
        EntryNotFoundError,
        NewEntry,
        SaveError,
        validate_entry,
    )
    from .store.journal import (
        LIST_LIMIT,
        Journal,
        JournalClosedError,
        QueueState,
        add_journal_entry,
    )
    from .store.queries import (
        EntityRef,
        EntityStat,
        EntryDetail,
        EntryPage,
        EntryRow,
        EntryState,
        EntrySummary,
        PageCursor,
    )
    from .store.quotes import Quote
    from .store.reading import Reading
    from .store.snapshots import SnapshotError, restore_snapshot, save_snapshot
    from .store.worker_state import EXIT_SERVER_LOST, WorkerStatus

_LAZY = {
    "DEFAULT_JOURNAL": ".settings",
    "WorkerSettings": ".settings",
    "settings_file": ".settings",
    "settings_help": ".settings",
    "validate_journal": ".settings",
    "Changes": ".store.changes",
    "close_db": ".store.connection",
    "BlockedName": ".store.corrections",
    "CorrectionError": ".store.corrections",
    "Undo": ".store.corrections",
    "Curation": ".store.curation",
    "BROWSER_PAGE": ".store.entity_pages",
    "EntityList": ".store.entity_pages",
    "EntityPage": ".store.entity_pages",
    "EntityQuote": ".store.entity_pages",
    "Highlight": ".store.entity_pages",
    "Related": ".store.entity_pages",
    "Quote": ".store.quotes",
    "Reading": ".store.reading",
    "EntryError": ".store.entries",
    "EntryNotFoundError": ".store.entries",
    "NewEntry": ".store.entries",
    "SaveError": ".store.entries",
    "validate_entry": ".store.entries",
    "Journal": ".store.journal",
    "LIST_LIMIT": ".store.journal",
    "JournalClosedError": ".store.journal",
    "QueueState": ".store.journal",
    "add_journal_entry": ".store.journal",
    "EntityRef": ".store.queries",
    "EntityStat": ".store.queries",
    "EntryDetail": ".store.queries",
    "EntryPage": ".store.queries",
    "PageCursor": ".store.queries",
    "EntryRow": ".store.queries",
    "EntryState": ".store.queries",
    "EntrySummary": ".store.queries",
    "WorkerStatus": ".store.worker_state",
    "EXIT_SERVER_LOST": ".store.worker_state",
    "SnapshotError": ".store.snapshots",
    "restore_snapshot": ".store.snapshots",
    "save_snapshot": ".store.snapshots",
}

__all__ = [
    "BROWSER_PAGE",
    "DEFAULT_JOURNAL",
    "EXIT_SERVER_LOST",
    "LIST_LIMIT",
    "BlockedName",
    "Changes",
    "CorrectionError",
    "Curation",
    "EntityList",
    "EntityPage",
    "EntityQuote",
    "EntityRef",
    "EntityStat",
    "EntryDetail",
    "EntryError",
    "EntryNotFoundError",
    "EntryPage",
    "EntryRow",
    "EntryState",
    "EntrySummary",
    "Highlight",
    "Journal",
    "JournalClosedError",
    "NewEntry",
    "PageCursor",
    "QueueState",
    "Quote",
    "Reading",
    "Related",
    "SaveError",
    "SnapshotError",
    "Undo",
    "WorkerSettings",
    "WorkerStatus",
    "add_journal_entry",
    "close_db",
    "restore_snapshot",
    "save_snapshot",
    "settings_file",
    "settings_help",
    "validate_entry",
    "validate_journal",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The entry list's rows (the store's ``EntryRow``), made directly: for the list's own tests
and bench/ui_list_insert.py, which show a table rows without a journal behind them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from charlie_worker import EntityRef, EntryRow, EntrySummary


def entry_row(
    uuid: str, date: datetime, state: str = "waiting", found: Sequence[str] = (), content: str = ""
) -> EntryRow:
    """An entry ``uuid`` written at ``date``, in ``state``, that found the people ``found``."""
    summary = EntrySummary(
        uuid=uuid,
        content=content or f"The {uuid} entry\nand more",
        created_at=date.timestamp(),
        date=date,
        state=state,  # type: ignore[arg-type]
        error=None,
        entity_count=len(found),
    )
    return EntryRow(summary, tuple(EntityRef(f"{name}-uuid", name, "Person") for name in found))

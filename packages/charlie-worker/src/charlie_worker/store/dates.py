"""The date an entry is about: a timezone-aware moment, stored as ISO 8601 with its offset.

An entry keeps the offset it was written (or imported) with, so a Day One entry from Lisbon
still reads 09:12+01:00; the list orders by the instant (``date_ts``, epoch seconds). Entries
saved before entries had dates fall back to when they were saved, in the local time zone.
"""

from __future__ import annotations

from datetime import datetime


def aware(moment: datetime | None) -> datetime:
    """``moment`` with a time zone: now when None, a naive one read as local time."""
    if moment is None:
        return datetime.now().astimezone()
    if not isinstance(moment, datetime):
        raise TypeError("An entry's date must be a datetime.")
    return moment if moment.tzinfo is not None else moment.astimezone()


def stored(moment: datetime | None) -> tuple[str, float]:
    """``(date, date_ts)`` as the graph keeps them: ``date_ts`` to the millisecond, which
    FalkorDB hands back exactly (it prints doubles with 15 significant digits)."""
    moment = aware(moment)
    return moment.isoformat(), instant(moment.timestamp())


def instant(timestamp: float) -> float:
    """Epoch seconds to the millisecond: how entry dates are ordered and compared."""
    return round(float(timestamp), 3)


def entry_date(date: object, created_at: object) -> datetime:
    """The entry's date from its stored ISO text, else its save time (older entries)."""
    if isinstance(date, str) and date:
        try:
            return aware(datetime.fromisoformat(date))
        except ValueError:
            pass
    return datetime.fromtimestamp(float(created_at or 0.0)).astimezone()  # type: ignore[arg-type]

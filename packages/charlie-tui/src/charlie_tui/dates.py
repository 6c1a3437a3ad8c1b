"""The editor's date field: what a person types (``2024-03-05``, ``yesterday``, ``last friday``,
``3 days ago 9:30``) read by dateparser, relative to the app's clock and in its time zone."""

from __future__ import annotations

from datetime import datetime

from .formatting import time_of_day

FIELD_FORMAT = "%Y-%m-%d %H:%M"
"""How an entry's date is shown in the field, and read back unchanged."""


class DateError(ValueError):
    """The text is not a date; the message is meant for the user."""


def parse_entry_date(
    text: str, now: datetime, time_of_day: datetime | None = None
) -> datetime | None:
    """The moment ``text`` names (None when blank: the caller's default). Days named without
    a year or a direction are the past ones: a journal is about what happened.

    A day named without a time ("last friday", "2024-03-05") keeps the time of day of
    ``time_of_day`` (the entry's own, when one is edited), else of ``now``, as "yesterday"
    always did: dateparser puts such a day at midnight, which the list shows as a time the
    person chose ("Fri 00:00"), and which ties every entry moved to that day."""
    if not text.strip():
        return None
    # on first use: it takes ~150 ms to import, the app starts without it
    from dateparser.date import DateDataParser

    found = DateDataParser(
        settings={
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,  # the period says whether a time of day was named
        }
    ).get_date_data(text)
    parsed = found.date_obj
    if parsed is None:
        raise DateError(
            f"“{text.strip()}” is not a date: try 2024-03-05, yesterday or last friday."
        )
    if found.period != "time":
        kept = (time_of_day or now).astimezone(now.tzinfo)
        parsed = parsed.replace(
            hour=kept.hour, minute=kept.minute, second=kept.second, microsecond=kept.microsecond
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)


def field_text(date: datetime, now: datetime) -> str:
    """An entry's date as the field shows it, in the app's time zone; the day alone for an
    entry without a time of day (``formatting.time_of_day``)."""
    moment = date.astimezone(now.tzinfo)
    return f"{moment:{FIELD_FORMAT}}" if time_of_day(moment) else f"{moment:%Y-%m-%d}"

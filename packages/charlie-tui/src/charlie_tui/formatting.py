"""How entries, states and entities read on screen: plain text, no widgets.

Times are shown relative to an injected "now" (``Clock``), so the same entry reads
"Today 09:30" for the user and renders identically in snapshot tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

if TYPE_CHECKING:
    from charlie_worker import EntryState


Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware: entry times are shown in its timezone."""


def local_now() -> datetime:
    """The real clock, in the user's local timezone."""
    return datetime.now().astimezone()


STATE_LABELS: dict[EntryState, str] = {
    "waiting": "○ waiting",
    "reading": "◐ reading",
    "done": "● done",
    "failed": "✗ failed",
}

# The model's types, as the journal shows them.
ENTITY_TYPE_LABELS: dict[str, str] = {
    "Person": "person",
    "Place": "place",
    "Organization": "organisation",
    "Thing": "thing",
}
ENTITY_TYPE_ORDER: tuple[str, ...] = tuple(ENTITY_TYPE_LABELS)


def entity_type_label(kind: str) -> str:
    """``Organization`` -> ``organisation``; an unknown type is shown lower-cased."""
    return ENTITY_TYPE_LABELS.get(kind, kind.lower() or "thing")


def entity_type_sort_key(kind: str) -> int:
    """People first, then places, organisations, things, then anything else."""
    try:
        return ENTITY_TYPE_ORDER.index(kind)
    except ValueError:
        return len(ENTITY_TYPE_ORDER)


def time_of_day(moment: datetime) -> str:
    """ "09:30", or "" for an entry that has only a day. A source that gives only the date (a
    file named 2024-03-05.md, front matter ``date: 2024-03-05``, a jrnl entry without a time)
    puts the entry at midnight to the microsecond, which an entry written here never is (it
    carries the moment it was saved); shown, "00:00" read as a time the person wrote at."""
    return "" if moment.time() == time(0) else f"{moment:%H:%M}"


def when(date: datetime, now: datetime) -> str:
    """A short time for lists: "Today 09:30", "Yesterday 21:05", "Mon 08:00", "3 Jun 10:15";
    the day alone for an entry without a time of day."""
    moment = date.astimezone(now.tzinfo)
    days = (now.date() - moment.date()).days
    if moment.year != now.year and not 0 <= days < 7:
        return f"{moment.day} {moment:%b %Y}"
    if days == 0:
        named = "Today"
    elif days == 1:
        named = "Yesterday"
    elif 1 < days < 7:
        named = f"{moment:%a}"
    else:
        named = f"{moment.day} {moment:%b}"
    return f"{named} {time_of_day(moment)}".rstrip()


def group_label(date: datetime, now: datetime) -> str:
    """The heading an entry is listed under: "Today", "This week", "Last week", then its month
    ("March 2024"); "Later" for a date after today. Weeks start on Monday."""
    day, today = date.astimezone(now.tzinfo).date(), now.date()
    this_week = today - timedelta(days=today.weekday())
    if day > today:
        return "Later"
    if day == today:
        return "Today"
    if day >= this_week:
        return "This week"
    if day >= this_week - timedelta(days=7):
        return "Last week"
    return f"{day:%B %Y}"


def full_date(date: datetime, now: datetime) -> str:
    """A full date for one entry: "Monday 3 June 2024, 09:30" ("Monday 3 June 2024" without a
    time of day)."""
    moment = date.astimezone(now.tzinfo)
    clock = time_of_day(moment)
    return f"{moment:%A} {moment.day} {moment:%B %Y}" + (f", {clock}" if clock else "")


def day(date: datetime, now: datetime) -> str:
    """The day of an entry, for grouping: "Today", "Yesterday", "Monday 3 June 2024"."""
    moment = date.astimezone(now.tzinfo)
    days = (now.date() - moment.date()).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def marked(text: str, marks: Iterable[tuple[int, int]], style: Style | str) -> Text:
    """``text`` as plain ``Text`` (never markup) with the ``(start, end)`` spans styled."""
    result = Text(text)
    for start, end in marks:
        result.stylize(style, start, end)
    return result


_HEADING_MARKS = re.compile(r"^#{1,6}\s+")


def first_line(content: str) -> str:
    """The first non-blank line of an entry, stripped: its title in a list. A Markdown
    heading's marks go ("# Lisbon, day one", how Day One and Markdown files title an entry);
    a hashtag stays ("#grateful today": no space after the mark)."""
    for line in content.splitlines():
        if line.strip():
            return _HEADING_MARKS.sub("", line.strip())
    return ""


def plural(count: int, one: str, many: str) -> str:
    """``plural(1, "entry", "entries")`` -> "1 entry"; with 2 -> "2 entries"."""
    return f"{count} {one if count == 1 else many}"


def duration(seconds: float) -> str:
    """A rough time left: "less than a minute", "2 min", "1 h 10 min"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def seconds(delay: float) -> str:
    """A countdown: "in 4 s"; anything under a second reads "now"."""
    return "now" if delay < 1 else f"in {int(delay + 0.5)} s"

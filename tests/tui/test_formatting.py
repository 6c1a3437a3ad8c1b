"""What the screens say: relative times and the status line, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from charlie_tui.formatting import duration, first_line, full_date, group_label, plural, when
from charlie_tui.runtime import Snapshot
from charlie_tui.widgets.status_bar import StatusView, describe
from charlie_tui.worker_process import ProcessState
from charlie_worker import QueueState, WorkerStatus

NOW = datetime(2024, 6, 14, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "shown"),
    [
        (timedelta(hours=1), "Today 17:00"),
        (timedelta(hours=18), "Today"),  # midnight to the microsecond: a day without a time
        (timedelta(hours=18, microseconds=-1), "Today 00:00"),
        (timedelta(hours=19), "Yesterday 23:00"),
        (timedelta(days=3), "Tue 18:00"),
        (timedelta(days=30), "15 May 18:00"),
        (timedelta(days=30, hours=18), "15 May"),
        (timedelta(days=400), "11 May 2023"),
    ],
)
def test_when(before: timedelta, shown: str) -> None:
    assert when(NOW - before, NOW) == shown


@pytest.mark.parametrize(
    ("before", "heading"),
    [
        (timedelta(hours=-30), "Later"),
        (timedelta(hours=18), "Today"),
        (timedelta(hours=19), "This week"),  # Thursday
        (timedelta(days=4, hours=18), "This week"),  # Monday 00:00
        (timedelta(days=4, hours=19), "Last week"),  # Sunday 23:00
        (timedelta(days=11, hours=18), "Last week"),  # the Monday before
        (timedelta(days=11, hours=19), "June 2024"),
        (timedelta(days=14), "May 2024"),
        (timedelta(days=400), "May 2023"),
    ],
)
def test_group_label(before: timedelta, heading: str) -> None:
    assert group_label(NOW - before, NOW) == heading


def test_group_label_reads_the_date_in_the_clocks_zone() -> None:
    new_york = timezone(timedelta(hours=-5))
    early_friday_utc = datetime(2024, 6, 14, 2, 0, tzinfo=UTC)  # Thursday 21:00 in New York
    assert group_label(early_friday_utc, NOW) == "Today"
    assert group_label(early_friday_utc, NOW.astimezone(new_york)) == "This week"


def test_full_date_and_text_helpers() -> None:
    assert full_date(NOW, NOW) == "Friday 14 June 2024, 18:00"
    assert full_date(NOW - timedelta(hours=18), NOW) == "Friday 14 June 2024"
    assert first_line("\n  \n  Hello there  \nmore") == "Hello there"
    assert first_line("## Lisbon, day one\n\nLanded.") == "Lisbon, day one"
    assert first_line("#grateful for the sun") == "#grateful for the sun"
    assert (plural(1, "entry", "entries"), plural(3, "entry", "entries")) == (
        "1 entry",
        "3 entries",
    )


def snapshot(
    process: ProcessState | None,
    *,
    running: bool = True,
    pid: int = 7,
    model: str = "",
    error: str = "",
    waiting: int = 0,
    failed: int = 0,
    paused: bool = False,
    activity: str = "",
    read: int = 0,
    seconds_per_entry: float = 0.0,
    model_name: str = "",
    builtin: bool = False,
    part: int = 0,
    parts: int = 0,
) -> Snapshot:
    return Snapshot(
        process,
        WorkerStatus(
            running,
            pid,
            model,
            error,
            loads=0,
            unloads=0,
            activity=activity,  # type: ignore[arg-type]
            read=read,
            seconds_per_entry=seconds_per_entry,
            model_name=model_name,
            builtin=builtin,
            part=part,
            parts=parts,
        ),
        QueueState(waiting, failed, version=0),
        paused,
    )


def reading(**progress: Any) -> StatusView:
    """The app open, its worker running with the model loaded and reading an entry."""
    running = ProcessState("running", pid=7)
    return StatusView("open", snapshot(running, model="llm", activity="reading", **progress))


@pytest.mark.parametrize(
    ("view", "parts"),
    [
        (StatusView(), ("Opening the journal…", "", "")),
        (StatusView(database="closing"), ("Stopping the worker…", "", "")),
        (
            StatusView("open", snapshot(ProcessState("running", pid=7), model="llm", waiting=2)),
            ("Worker running", "Model loaded", "2 waiting"),
        ),
        (
            StatusView(
                "open",
                snapshot(ProcessState("running", pid=7), model="llm", model_name="qwen3-4b"),
            ),
            ("Worker running", "Model loaded: qwen3-4b", "Nothing waiting"),
        ),
        (
            StatusView(
                "open",
                snapshot(ProcessState("running", pid=7), model_name="SmolLM2", builtin=True),
            ),
            (
                "Worker running",
                "Model: SmolLM2 (built-in; better: charlie-inference models)",
                "Nothing waiting",
            ),
        ),
        (
            StatusView("open", snapshot(ProcessState("running", pid=8), running=False)),
            ("Worker starting…", "Model not loaded", "Nothing waiting"),
        ),
        (
            StatusView(
                "open",
                snapshot(ProcessState("restarting", exit_code=-9, restart_in=3.6), failed=1),
            ),
            (
                "Worker stopped (killed by SIGKILL), restarting in 4 s",
                "Model not loaded",
                "1 failed",
            ),
        ),
        (
            StatusView("open", snapshot(ProcessState("restarting", exit_code=75, restart_in=1))),
            (
                "Worker stopped (its database server went away), restarting in 1 s",
                "Model not loaded",
                "Nothing waiting",
            ),
        ),
        (
            StatusView("open", snapshot(None, running=False, error="no such file"), False),
            ("Worker off", "Model error: no such file", "Nothing waiting"),
        ),
        (
            StatusView("open", snapshot(None), False, problem="Connection refused"),
            ("Worker running", "Model not loaded", "Database problem: Connection refused"),
        ),
        (
            StatusView("open", snapshot(ProcessState("running", pid=7), activity="loading")),
            ("Worker running", "Loading the model…", "Nothing waiting"),
        ),
        (
            reading(read=2, waiting=10, seconds_per_entry=12.0),
            ("Worker running", "Reading entry 3 of 12 (about 2 min left)", "10 waiting"),
        ),
        (reading(waiting=1), ("Worker running", "Reading entry 1 of 1", "1 waiting")),
        (
            reading(waiting=2, part=12, parts=84),
            ("Worker running", "Reading entry 1 of 2, part 12 of 84", "2 waiting"),
        ),
        (
            StatusView("open", snapshot(ProcessState("running", pid=7), activity="unloading")),
            ("Worker running", "Unloading the model", "Nothing waiting"),
        ),
        (
            StatusView("open", snapshot(ProcessState("stopping"), paused=True, waiting=3)),
            ("Pausing after the entry being read…", "Model not loaded", "3 waiting"),
        ),
        (
            StatusView("open", snapshot(ProcessState("stopped"), running=False, paused=True)),
            ("Reading paused", "Model not loaded", "Nothing waiting"),
        ),
    ],
)
def test_status_line(view: StatusView, parts: tuple[str, str, str]) -> None:
    assert tuple(text for text, _ in describe(view)) == parts


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(20, "less than a minute"), (120, "2 min"), (3600, "1 h"), (4200, "1 h 10 min")],
)
def test_duration(seconds: float, words: str) -> None:
    assert duration(seconds) == words

"""``HangUpWatch`` on real terminals and pipes: nothing to say while one is there, a call back
the moment it hangs up, and none once the watch is stopped or has nothing to watch."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from charlie_tui import terminal


@contextmanager
def watching(stream: TextIO | None) -> Iterator[tuple[terminal.HangUpWatch, threading.Event]]:
    """A started watch on ``stream`` and the event its call back sets; stopped on exit."""
    hung_up = threading.Event()
    watch = terminal.HangUpWatch(stream, hung_up.set)
    watch.start()
    try:
        yield watch, hung_up
    finally:
        watch.stop()


def watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "charlie-hangup-watch"]


def test_the_watch_calls_back_when_the_terminal_hangs_up() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream, watching(stream) as (_, hung_up):
        assert not hung_up.wait(0.3)  # a live terminal: nothing to say
        os.close(master)
        assert hung_up.wait(30), "the hang-up was not noticed"


def test_the_watch_calls_back_when_nobody_reads_its_pipe_any_more() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as stream, watching(stream) as (_, hung_up):
        assert not hung_up.wait(0.3)  # read: there
        os.close(read_end)
        assert hung_up.wait(30), "the closed pipe was not noticed"


def test_a_stopped_watch_never_calls_back() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        with watching(stream) as (watch, hung_up):
            watch.stop()
        # stopped twice (here and on leaving the block): idempotent
        os.close(master)
        assert not hung_up.wait(0.3)
    assert watch_threads() == []


def test_nothing_to_watch_starts_no_thread() -> None:
    """No stream, a closed one, or one that is no file say nothing about a terminal: the app
    then exits as usual."""
    master, slave = os.openpty()
    closed = os.fdopen(slave, "w")
    closed.close()
    os.close(master)
    for stream in (None, closed, io.StringIO()):
        with watching(stream) as (_, hung_up):
            assert watch_threads() == []
        assert not hung_up.is_set()

"""``terminal.gone`` and ``HangUpWatch`` on real terminals and pipes: a live one is there, a
hung-up one is not, and its watch says so the moment it hangs up."""

from __future__ import annotations

import io
import os
import threading

from charlie_tui import terminal


def test_a_live_terminal_is_there() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        assert not terminal.gone(stream)
    os.close(master)


def test_a_terminal_whose_other_side_closed_is_gone() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        os.close(master)  # the pty hangs up
        assert terminal.gone(stream)


def test_a_pipe_nobody_reads_is_gone_and_a_read_one_is_not() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as stream:
        assert not terminal.gone(stream)
        os.close(read_end)
        assert terminal.gone(stream)


def test_no_stream_or_a_closed_one_is_not_taken_for_a_vanished_terminal() -> None:
    """Nothing to poll says nothing about a terminal: the app then exits as usual."""
    assert not terminal.gone(None)
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w")
    stream.close()
    assert not terminal.gone(stream)
    os.close(master)
    assert not terminal.gone(io.StringIO())


def test_the_watch_calls_back_when_the_terminal_hangs_up() -> None:
    master, slave = os.openpty()
    hung_up = threading.Event()
    with os.fdopen(slave, "w") as stream:
        watch = terminal.HangUpWatch(stream, hung_up.set)
        watch.start()
        assert not hung_up.wait(0.3)  # a live terminal: nothing to say
        os.close(master)
        assert hung_up.wait(30), "the hang-up was not noticed"
        watch.stop()


def test_a_stopped_watch_never_calls_back() -> None:
    master, slave = os.openpty()
    hung_up = threading.Event()
    with os.fdopen(slave, "w") as stream:
        watch = terminal.HangUpWatch(stream, hung_up.set)
        watch.start()
        watch.stop()
        watch.stop()  # idempotent
        os.close(master)
        assert not hung_up.wait(0.3)
    assert not any(t.name == "charlie-hangup-watch" for t in threading.enumerate())


def test_nothing_to_watch_starts_no_thread() -> None:
    watch = terminal.HangUpWatch(io.StringIO(), lambda: None)
    watch.start()
    watch.stop()
    assert not any(t.name == "charlie-hangup-watch" for t in threading.enumerate())

"""``terminal.gone`` on real terminals and pipes: a live one is there, a hung-up one is not."""

from __future__ import annotations

import io
import os

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

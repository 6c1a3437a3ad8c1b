"""Whether the terminal the app draws on is still there.

A terminal can vanish without a SIGHUP reaching the app: the pty's master side closes while
the app runs in a session of its own (a harness holding the pty dies, ``setsid charlie-tui``),
so the pty is not its controlling terminal. Textual (8.2.8) does not notice: its output thread
dies on its first write to the hung-up terminal (EIO) and nothing reads its queue again, so
once 30 writes wait there every further one blocks, the event loop's and those that restore
the terminal on exit alike. The app asks here before leaving through Textual.
"""

from __future__ import annotations

import select
from typing import TextIO

_GONE = select.POLLHUP | select.POLLERR
"""A hung-up terminal (or a pipe nobody reads any more). Not POLLNVAL: macOS's poll() does not
support devices and answers it for a live terminal, whose restoring a wrong "gone" would skip."""


def gone(stream: TextIO | None) -> bool:
    """Whether ``stream`` (the terminal Textual draws on) can no longer be written: poll()
    says so at once, without writing to it or waiting."""
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError):  # closed, or not a real file
        return False
    if fd < 0:
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & _GONE for _, events in poller.poll(0))

"""A watch on the terminal the app draws on, which says the moment it hangs up.

A terminal can vanish without a SIGHUP reaching the app: the pty's master side closes while
the app runs in a session of its own (a harness holding the pty dies, ``setsid charlie-tui``),
so the pty is not its controlling terminal. Textual (8.2.8) does not notice: its output thread
dies on its first write to the hung-up terminal (EIO) and nothing reads its queue again, so
once 30 writes wait there every further one blocks, the event loop's and those that restore
the terminal on exit alike; its input thread meanwhile spins a core on the terminal's
end-of-file. Such an app would hold the journal's lock until someone killed it. So the app
watches its terminal (``HangUpWatch``) and leaves as on a SIGHUP the moment it hangs up.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from typing import TextIO

_GONE = select.POLLHUP | select.POLLERR
"""A hung-up terminal (or a pipe nobody reads any more). Not POLLNVAL: macOS's poll() does not
support devices and answers it for a live terminal, which the app must not leave."""


def _fileno(stream: TextIO | None) -> int | None:
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError):  # closed, or not a real file
        return None
    return fd if fd >= 0 else None


class HangUpWatch:
    """Calls ``on_gone`` from a thread of its own when ``stream`` hangs up.

    The thread sleeps in poll() until the terminal hangs up or ``stop()`` wakes it: no CPU
    and no timer, and it works while the event loop is stuck on a write to that terminal.
    """

    def __init__(self, stream: TextIO | None, on_gone: Callable[[], None]) -> None:
        self._fd = _fileno(stream)
        self._on_gone = on_gone
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._fd is None or self._thread is not None:
            return
        self._wake = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="charlie-hangup-watch")
        self._thread.daemon = True  # never keeps the process alive
        self._thread.start()

    def stop(self) -> None:
        """End the watch (the app is leaving through Textual); idempotent."""
        if self._thread is None or self._wake is None:
            return
        wake_read, wake_write = self._wake
        os.write(wake_write, b"\0")
        self._thread.join()
        os.close(wake_read)
        os.close(wake_write)
        self._thread = self._wake = None

    def _watch(self) -> None:
        assert self._fd is not None and self._wake is not None
        poller = select.poll()
        poller.register(self._fd, 0)
        poller.register(self._wake[0], select.POLLIN)
        events = dict(poller.poll())  # a hang-up or an error is reported whatever is asked
        # Anything else (stop() woke it, a device poll() cannot watch) ends the watch.
        if events.get(self._fd, 0) & _GONE and self._wake[0] not in events:
            self._on_gone()

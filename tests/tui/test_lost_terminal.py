"""A terminal that goes away without a SIGHUP must not keep the journal locked.

A harness (or ``setsid charlie-tui``) holds the app's pseudo-terminal without it being the
app's controlling terminal; when the harness dies the pty hangs up, and no SIGHUP reaches the
app. Textual's output thread then dies on its first write (EIO), and the writes after it pile
up in its queue: once that holds 30, the next write blocks the event loop for good. The app
must notice by itself, stop the worker, close the database and let go of the data dir, and a
SIGTERM at that moment must not get in the way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from charlie_tui.app import HANGUP_EXIT_CODE
from charlie_tui.instance import InstanceLock
from charlie_worker.store.connection import close_db, get_db
from charlie_worker.store.queries import get_entry
from kit.processes import read_pty_until, start_in_pty

pytestmark = pytest.mark.slow

CHARLIE_TUI = Path(sys.executable).with_name("charlie-tui")
CTRL_N = b"\x0e"


@pytest.mark.parametrize("sigterm", [False, True], ids=["by-itself", "with-a-sigterm"])
def test_the_app_lets_go_of_the_journal_when_its_terminal_vanishes(
    tui, data_dir: Path, sigterm: bool
) -> None:
    text = "Walked along the canal before the rain."
    uuid = tui.seed(text, tui.ago(hours=1))
    close_db()  # the app starts and owns the database server
    proc, master = start_in_pty([str(CHARLIE_TUI)], dict(os.environ))
    try:
        read_pty_until(master, b"Worker running", 120)  # journal open, worker up
        os.write(master, CTRL_N)
        # The editor: its cursor blinks twice a second, so a Textual left alone would be
        # stuck on its writes to the dead terminal within 15 s.
        read_pty_until(master, b"Cancel", 60)
        os.close(master)  # the terminal hangs up; the app, in its own session, gets no SIGHUP
        master = -1
        if sigterm:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)  # a hang detector: a healthy stop takes a few seconds
        except subprocess.TimeoutExpired:
            pytest.fail("charlie-tui stayed on a vanished terminal")
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    # Left as on a hang-up; a SIGTERM that came first exits as a SIGTERM does.
    assert code in ({0, HANGUP_EXIT_CODE} if sigterm else {HANGUP_EXIT_CODE})
    tui.wait_until(lambda: not tui.workers_of(data_dir), 30, "the worker to stop")
    tui.wait_until(lambda: not tui.redis_servers_under(data_dir), 30, "the server to stop")
    with InstanceLock(data_dir):  # a new charlie-tui could open the journal
        get_db()
        entry = get_entry(uuid)
        assert entry is not None and entry.content == text

"""While the user types, the real worker starts no new entry; when they stop, it reads on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from charlie_worker.store import worker_state as status
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.reading import hold, release_hold

PICKED = "Executing charlie_worker.store.queue.read_entry"


@pytest.mark.slow
def test_nothing_new_starts_while_the_user_types(db, workers, rb, tmp_path: Path) -> None:
    hold(seconds=600)  # as the editor does on every keystroke, here for the whole test
    uuid = save_entry("Lunch at Zorba today.")
    log = tmp_path / "worker.log"
    worker = workers.start(log=log)
    rb.wait_for(lambda: log.exists() and PICKED in log.read_text(), 90, "the task to be picked")
    # The worker holds the task but does not claim the entry while the hold lasts: polls that
    # span several of its own checks find the entry still waiting, the worker alive.
    for _ in range(12):
        assert get_entry(uuid).state == "waiting"
        assert worker.poll() is None
        time.sleep(0.25)
    release_hold()  # the editor closed
    rb.wait_for(lambda: get_entry(uuid).state == "done", 180, "the entry to be read")
    assert status.read_status().error == ""
    assert workers.stop(worker) == 0

"""The real worker under the user's hand: while they type it starts no new entry, what they
write is read before an import's backlog, and it says which model reads their entries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from charlie_inference import bundled_model_path
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
    report = status.read_status()
    assert report.error == ""
    assert report.builtin and report.model_name == bundled_model_path().stem
    assert workers.stop(worker) == 0


@pytest.mark.slow
def test_an_entry_written_during_an_import_is_read_before_the_rest_of_it(db, workers, rb) -> None:
    """The real worker, a backlog of imported entries being read, then the user writes."""
    from datetime import UTC, datetime, timedelta

    from charlie_worker.store.entries import NewEntry
    from charlie_worker.store.imports import save_backlog

    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    # Names no rule types and the journal does not know yet: each entry needs the model.
    places = ["Quillon", "Brastow", "Merrivale", "Tanforth", "Ellwick", "Osmere", "Varnley"]
    backlog = save_backlog(
        [NewEntry(f"Dinner at {p}.", start + timedelta(days=i)) for i, p in enumerate(places)]
    )
    worker = workers.start()
    rb.wait_for(
        lambda: any(get_entry(u).state == "done" for u in backlog), 180, "the backlog to start"
    )
    mine = save_entry("Lunch at Kestrel Hall today.")
    unread_then = [u for u in backlog if get_entry(u).state != "done"]
    rb.wait_for(lambda: get_entry(mine).state == "done", 180, "the user's entry to be read")
    unread = [u for u in backlog if get_entry(u).state != "done"]
    assert unread, "the backlog was read out before the user's entry"
    # At most the entry the worker was on when the user saved finished in between.
    assert len(unread_then) - len(unread) <= 1, (unread_then, unread)
    rb.wait_for(lambda: all(get_entry(u).state == "done" for u in backlog), 300, "the rest")
    assert workers.stop(worker) == 0

"""The worker says what it is doing, for the status bar's words: loading, reading entry n of
a backlog with a running average of the time one takes, unloading; the count restarts with
the next backlog. Read as the consumer reads (``huey.execute``) on a scripted model."""

from __future__ import annotations

import pytest

import charlie_worker.pipeline.tasks  # noqa: F401 - installs read_entry's body and the hooks
from charlie_worker.pipeline import manager as manager_module
from charlie_worker.pipeline.manager import ModelManager
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store import worker_state
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queue import bind_queue, read_entry
from kit.fake_lm import ScriptedLM, by_text, types_answer


def test_a_backlog_is_counted_and_the_count_restarts_after_it(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def load() -> ScriptedLM:
        seen.append(worker_state.read_status().activity)  # what the UI sees while it loads
        return ScriptedLM(by_text({"Zorba": types_answer(("Zorba", "Place"))}))

    monkeypatch.setattr(manager_module, "_manager", ModelManager({"llm": load}))
    # The first names a place only the model can type, so reading it loads the model.
    first, second = save_entry("Tea at Zorba."), save_entry("Lunch with Okonkwo.")
    huey = bind_queue()
    huey.storage.flush_queue()

    huey.execute(read_entry.s(first, DEFAULT_JOURNAL))
    report = worker_state.read_status()
    assert seen == ["loading"]
    assert (report.read, report.activity, report.model) == (1, "", "llm")
    assert report.seconds_per_entry > 0

    huey.execute(read_entry.s(second, DEFAULT_JOURNAL))  # the last one: the model goes
    report = worker_state.read_status()
    assert (report.read, report.activity, report.model) == (0, "", "")
    assert report.seconds_per_entry > 0  # kept: the next backlog's first estimate


def test_the_average_follows_the_latest_entries(db: object) -> None:
    worker_state.entry_read(10.0)
    worker_state.entry_read(20.0)
    report = worker_state.read_status()
    assert report.read == 2
    assert report.seconds_per_entry == pytest.approx(10 + worker_state.AVERAGE_WEIGHT * 10)

"""The read_entry task in this process on the real model, run the way the consumer runs it
(``huey.execute``: hooks included): the seed's test and its edge cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from charlie_inference import ExtractionError, ModelServerError
from charlie_worker import add_journal_entry
from charlie_worker.pipeline import (
    extraction,
    tasks,  # installs read_entry's body and the hooks
)
from charlie_worker.pipeline.manager import manager
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.entries import add_entry
from charlie_worker.store.episode_state import FAILED, get_episode_data, get_episode_status
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.queries import get_entry, list_entities
from charlie_worker.store.queue import bind_queue, queued_tasks, read_entry
from charlie_worker.store.worker_state import read_status

HOSTILE = 'Mo said "hi" \\ then \'}) DETACH DELETE n // and MATCH (n) DELETE n; met Sarah.'


@pytest.fixture(autouse=True)
def _unload() -> Iterator[None]:
    yield
    manager().unload_all()


def run(episode_uuid: str) -> Any:
    """Execute one read_entry task as the consumer does (pre/post-execute hooks and all)."""
    return bind_queue().execute(read_entry.s(episode_uuid, DEFAULT_JOURNAL))


async def test_seed_integration_today_i_met_sarah(db: object) -> None:
    episode_uuid = await add_journal_entry("Today I met Sarah.")
    assert queued_tasks() == 1
    bind_queue().storage.flush_queue()  # what a consumer does: it takes the task off the queue
    result = run(episode_uuid)
    assert result["extracted_count"] > 0
    assert get_episode_status(episode_uuid) is None  # done: redis forgets it
    entry = get_entry(episode_uuid)
    assert entry is not None and entry.state == "done"
    assert "Sarah" in {e.name for e in entry.entities}
    assert manager().loaded_kinds() == []  # the last task of the backlog unloaded the model


def test_the_same_person_in_two_entries_is_one_node(db: object) -> None:
    first = add_entry("Had coffee with Priya this morning.")
    second = add_entry("Priya called me about the trip.")
    for episode_uuid in (first, second):
        run(episode_uuid)
    priyas = [e for e in list_entities() if e.name == "Priya"]
    assert len(priyas) == 1 and priyas[0].mentions == 2


def test_rerunning_a_task_is_a_noop(db: object) -> None:
    episode_uuid = add_entry("Today I met Sarah.")
    run(episode_uuid)
    again = run(episode_uuid)
    assert again == {"episode_uuid": episode_uuid, "skipped": True}
    assert len(get_entry(episode_uuid).entities) >= 1


def test_hostile_text_is_stored_verbatim_and_graph_survives(db: object) -> None:
    keep = add_entry("A quiet day at home.")
    episode_uuid = add_entry(HOSTILE)
    run(episode_uuid)
    assert get_entry(episode_uuid).content == HOSTILE
    assert get_entry(keep) is not None
    count = select_graph(DEFAULT_JOURNAL).ro_query("MATCH (e:Episode) RETURN count(e)").result_set
    assert count[0][0] == 2


def test_unusable_output_is_recorded_as_the_failure_reason(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unusable(*args: object, **kwargs: object) -> None:
        raise ExtractionError("the model's answer was unusable: not JSON")

    monkeypatch.setattr(extraction, "extract_nodes", unusable)  # tasks imports it per call
    episode_uuid = add_entry("Today I met Sarah.")
    monkeypatch.setattr(read_entry.task_class, "default_retries", 0)  # the last attempt
    result = run(episode_uuid)
    assert "unusable" in result["failed"]
    assert get_episode_status(episode_uuid) == FAILED
    assert "not JSON" in get_episode_data(episode_uuid)["error"]
    assert get_entry(episode_uuid).state == "failed"


@pytest.fixture
def backoff() -> Iterator[tasks.Backoff]:
    """The worker's backoff, cleared before and after (it is per process)."""
    tasks.BACKOFF.reset()
    yield tasks.BACKOFF
    tasks.BACKOFF.reset()


def test_missing_model_keeps_the_entry_pending(
    db: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backoff: tasks.Backoff
) -> None:
    monkeypatch.setenv("CHARLIE_LLM_MODEL_PATH", str(tmp_path / "gone.gguf"))
    episode_uuid = add_entry("Today I saw Zorblat.")  # a name only the model can type
    scheduled = bind_queue().scheduled_count()
    assert run(episode_uuid) is None  # released and scheduled again, not failed
    assert bind_queue().scheduled_count() == scheduled + 1
    error = read_status().error
    assert "gone.gguf" in error and "CHARLIE_LLM_MODEL_PATH" in error and "retrying in" in error
    assert get_entry(episode_uuid).state == "waiting"  # not failed: it is not the entry's fault
    monkeypatch.delenv("CHARLIE_LLM_MODEL_PATH")
    backoff.reset()  # as when the wait is over
    assert run(episode_uuid)["extracted_count"] >= 0
    assert get_episode_status(episode_uuid) is None
    assert read_status().error == ""


@pytest.mark.parametrize(
    "fault",
    [
        ModelServerError("The model server at http://127.0.0.1:9/v1 failed: refused"),
        ConnectionError("redis went away"),
        KeyError("a bug"),
    ],
    ids=["model server down", "database", "bug"],
)
def test_a_failure_that_is_not_the_entrys_waits_and_tries_again(
    db: object, monkeypatch: pytest.MonkeyPatch, backoff: tasks.Backoff, fault: Exception
) -> None:
    calls: list[str] = []

    def broken(episode_uuid: str, *args: object, **kwargs: object) -> None:
        calls.append(episode_uuid)
        raise fault

    monkeypatch.setattr(extraction, "extract_nodes", broken)
    first, second = add_entry("Today I met Sarah."), add_entry("Then I met Tom.")
    assert run(first) is None
    assert get_entry(first).state == "waiting"  # released: not "reading", not failed
    assert get_episode_data(first).get("processing_since") in (None, "")
    assert backoff.remaining() > 0 and "retrying in 5 s" in read_status().error
    assert run(second) is None  # while the backoff lasts no entry is tried
    assert calls == [first] and get_entry(second).state == "waiting"
    monkeypatch.undo()
    backoff.reset()
    for episode_uuid in (first, second):
        assert "extracted_count" in run(episode_uuid)
        assert get_episode_status(episode_uuid) is None


def test_the_backoff_grows_and_resets() -> None:
    backoff = tasks.Backoff()
    delays = [backoff.fail("down") for _ in range(len(tasks.BACKOFF_S) + 2)]
    assert delays == [*tasks.BACKOFF_S, tasks.BACKOFF_S[-1], tasks.BACKOFF_S[-1]]
    backoff.reset()
    assert backoff.remaining() == 0 and backoff.fail("down") == tasks.BACKOFF_S[0]


def test_deleted_entry_is_skipped_and_forgotten(db: object) -> None:
    from charlie_worker.store.episode_state import PENDING, set_episode_status

    set_episode_status("ghost", PENDING, journal=DEFAULT_JOURNAL)
    assert run("ghost")["skipped"] is True
    assert get_episode_status("ghost") is None


def test_a_name_the_journal_knows_keeps_its_type_from_the_graph(db: object) -> None:
    """Real model: "Zorba" is an organisation in this journal, so a later "Lunch at Zorba" (which
    reads like a place) files the mention on that same entity, typed from the graph."""
    from kit.seeds import read_entry_as

    read_entry_as("Signed the contract with Zorba.", ("Zorba", "Organization"))
    episode_uuid = add_entry("Lunch at Zorba today.")
    run(episode_uuid)
    assert [(e.name, e.type) for e in get_entry(episode_uuid).entities] == [
        ("Zorba", "Organization")
    ]
    zorbas = [e for e in list_entities() if e.name == "Zorba"]
    assert len(zorbas) == 1 and zorbas[0].mentions == 2


def test_the_hold_lapses_by_itself_and_can_be_released(db: object) -> None:
    from charlie_worker.store.reading import held_for, hold, release_hold

    assert held_for() == 0
    hold(seconds=30)
    assert 0 < held_for() <= 30
    release_hold()
    assert held_for() == 0
    hold(seconds=0.05)
    tasks._wait_while_typing()  # returns once the hold has lapsed
    assert held_for() == 0


def test_the_sweep_queues_only_what_no_task_would_read(db: object) -> None:
    from charlie_worker.store import worker_state
    from charlie_worker.store.episode_state import (
        PENDING,
        mark_episode_processing,
        set_episode_status,
    )
    from charlie_worker.store.journal import save_entry
    from charlie_worker.store.queue import queued_readings, sweep

    huey = bind_queue()
    queued = save_entry("Queued as usual.")
    lost = add_entry("Saved, but its enqueue failed.")  # add_entry writes without queueing
    set_episode_status("gone-worker", PENDING, journal=DEFAULT_JOURNAL)
    mark_episode_processing("gone-worker", "host:999999")  # a claim whose lease has lapsed
    live = add_entry("Being read right now.")
    worker_state.heartbeat()  # our lease is live
    assert mark_episode_processing(live, worker_state.worker_id())
    assert sweep() == 2
    assert sorted(queued_readings(huey)) == sorted([queued, lost, "gone-worker"])
    assert sweep() == 0  # nothing doubled
    assert "sweep_lost_entries" in {t.name for t in huey._registry.periodic_tasks}

"""extract_nodes_task in this process on the real model: the seed's test and its edge cases."""

from __future__ import annotations

import pytest

from charlie_inference import ExtractionError
from charlie_worker import manager
from charlie_worker.database.lifecycle import select_graph
from charlie_worker.database.redis_ops import FAILED, get_episode_data, get_episode_status
from charlie_worker.graph import extract_nodes as extract_module
from charlie_worker.graph.episodes import add_entry
from charlie_worker.graph.queries import get_entry, list_entities
from charlie_worker.queue import bind_queue, queued_tasks
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.tasks import extract_nodes_task

HOSTILE = 'Mo said "hi" \\ then \'}) DETACH DELETE n // and MATCH (n) DELETE n; met Sarah.'


@pytest.fixture(autouse=True)
def _unload() -> None:
    yield
    manager.unload_all_models()


async def test_seed_integration_today_i_met_sarah(db: object) -> None:
    from charlie_worker.graph.episodes import add_journal_entry

    episode_uuid = await add_journal_entry("Today I met Sarah.")
    assert queued_tasks() == 1
    bind_queue().storage.flush_queue()  # what a consumer does: it takes the task off the queue
    result = extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    assert result["extracted_count"] > 0
    assert get_episode_status(episode_uuid) is None  # done: redis forgets it
    entry = get_entry(episode_uuid)
    assert entry is not None and entry.state == "done"
    assert "Sarah" in {e.name for e in entry.entities}
    assert manager.loaded_kinds() == []  # the last task of the backlog unloaded the model


def test_the_same_person_in_two_entries_is_one_node(db: object) -> None:
    first = add_entry("Had coffee with Priya this morning.")
    second = add_entry("Priya called me about the trip.")
    for episode_uuid in (first, second):
        extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    priyas = [e for e in list_entities() if e.name == "Priya"]
    assert len(priyas) == 1 and priyas[0].mentions == 2


def test_rerunning_a_task_is_a_noop(db: object) -> None:
    episode_uuid = add_entry("Today I met Sarah.")
    extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    again = extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    assert again == {"episode_uuid": episode_uuid, "skipped": True}
    assert len(get_entry(episode_uuid).entities) >= 1


def test_hostile_text_is_stored_verbatim_and_graph_survives(db: object) -> None:
    keep = add_entry("A quiet day at home.")
    episode_uuid = add_entry(HOSTILE)
    extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    assert get_entry(episode_uuid).content == HOSTILE
    assert get_entry(keep) is not None
    count = select_graph(DEFAULT_JOURNAL).ro_query("MATCH (e:Episode) RETURN count(e)").result_set
    assert count[0][0] == 2


def test_unusable_output_is_recorded_as_the_failure_reason(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unusable(*args: object, **kwargs: object) -> None:
        raise ExtractionError("the model's answer was unusable: not JSON")

    monkeypatch.setattr(extract_module, "extract_nodes", unusable)
    episode_uuid = add_entry("Today I met Sarah.")
    result = extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    assert "unusable" in result["failed"]
    assert get_episode_status(episode_uuid) == FAILED
    assert "not JSON" in get_episode_data(episode_uuid)["error"]
    assert get_entry(episode_uuid).state == "failed"


def test_missing_model_keeps_the_entry_pending(
    db: object, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("CHARLIE_LLM_MODEL_PATH", str(tmp_path / "gone.gguf"))
    episode_uuid = add_entry("Today I met Sarah.")
    result = extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)
    assert "gone.gguf" in result["error"] and "CHARLIE_LLM_MODEL_PATH" in result["error"]
    assert get_entry(episode_uuid).state == "waiting"  # not failed: it is not the entry's fault
    monkeypatch.delenv("CHARLIE_LLM_MODEL_PATH")
    assert extract_nodes_task.call_local(episode_uuid, DEFAULT_JOURNAL)["extracted_count"] >= 0
    assert get_episode_status(episode_uuid) is None


def test_deleted_entry_is_skipped_and_forgotten(db: object) -> None:
    from charlie_worker.database.redis_ops import PENDING, set_episode_status

    set_episode_status("ghost", PENDING, journal=DEFAULT_JOURNAL)
    assert extract_nodes_task.call_local("ghost", DEFAULT_JOURNAL)["skipped"] is True
    assert get_episode_status("ghost") is None

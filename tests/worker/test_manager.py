"""The Model Manager: lazy load, exclusive access, event-driven unload, memory really freed,
and its wiring to Huey's hooks (created at startup, cleaned up after every task)."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest

from charlie_worker.pipeline import manager as manager_module
from charlie_worker.pipeline.manager import MODELS, ModelManager
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store import worker_state as status
from charlie_worker.store.episode_state import (
    PENDING,
    get_episode_status,
    remove_episode_from_queue,
    set_episode_status,
)
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.queue import bind_queue, queued_tasks, read_entry
from kit.fake_lm import ScriptedLM, by_text, types_answer


class FakeModel:
    def __init__(self, kind: str, log: list[str]) -> None:
        self.kind, self.log = kind, log
        log.append(f"load {kind}")

    def close(self) -> None:
        self.log.append(f"close {self.kind}")


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def manager(db: object, log: list[str]) -> Iterator[ModelManager]:
    """A manager of two fake kinds, on a real database (it reports to the worker's status)."""
    made = ModelManager({"llm": lambda: FakeModel("llm", log)})
    made.register_kind("embedder", lambda: FakeModel("embedder", log))
    yield made
    made.unload_all()


@pytest.fixture
def fake_kinds(manager: ModelManager, log: list[str]) -> list[str]:
    return log


def test_registry_shape() -> None:
    assert "llm" in MODELS
    assert set(MODELS["llm"]) == {"model"}


def test_models_is_a_live_view_of_the_process_manager(
    monkeypatch: pytest.MonkeyPatch, manager: ModelManager
) -> None:
    monkeypatch.setattr(manager_module, "_manager", manager)
    manager.get("embedder")
    assert MODELS["embedder"]["model"] is manager.models["embedder"]["model"] is not None
    assert manager_module.get_model("embedder") is MODELS["embedder"]["model"]


def test_get_model_loads_once_and_keeps_it(manager: ModelManager, fake_kinds: list[str]) -> None:
    first = manager.get("llm")
    assert manager.get("llm") is first
    assert fake_kinds == ["load llm"]
    assert manager.loaded_kinds() == ["llm"]
    assert status.read_status().loads == 1


def test_loading_one_kind_unloads_the_other(manager: ModelManager, fake_kinds: list[str]) -> None:
    manager.get("llm")
    manager.get("embedder")
    assert fake_kinds == ["load llm", "close llm", "load embedder"]
    assert manager.loaded_kinds() == ["embedder"]


def test_unknown_kind_is_refused(manager: ModelManager) -> None:
    with pytest.raises(ValueError, match="Unknown model kind"):
        manager.get("reranker")


def test_cleanup_waits_for_pending_episodes_and_queued_tasks(
    manager: ModelManager, fake_kinds: list[str]
) -> None:
    manager.get("llm")
    set_episode_status("e1", PENDING, journal="default")
    assert manager.cleanup_if_no_work() is False  # an entry still waits
    remove_episode_from_queue("e1")
    huey = bind_queue()
    huey.storage.enqueue(b"a queued task", None)
    assert manager.cleanup_if_no_work() is False  # a task is still queued
    assert manager.loaded_kinds() == ["llm"]
    huey.storage.flush_queue()
    assert manager.cleanup_if_no_work() is True
    assert manager.loaded_kinds() == []
    assert fake_kinds[-1] == "close llm"
    assert manager.cleanup_if_no_work() is False  # nothing left to unload


def test_failed_load_is_reported_and_nothing_is_registered(db: object) -> None:
    def broken() -> FakeModel:
        raise RuntimeError("Cannot load the model at /x.gguf")

    manager = ModelManager({"llm": broken})
    with pytest.raises(RuntimeError):
        manager.get("llm")
    assert manager.loaded_kinds() == []
    assert "Cannot load the model" in status.read_status().error


def test_the_manager_is_wired_to_hueys_hooks(db: object) -> None:
    """The worker process's import of the pipeline registers the Manager on the queue's huey:
    made at startup, cleaned up after every task, unloaded at shutdown."""
    import charlie_worker.pipeline.tasks as tasks

    huey = bind_queue()
    assert huey._startup["start_manager"] is tasks.start_manager
    assert huey._post_execute["cleanup_after_task"] is tasks.cleanup_after_task
    assert huey._shutdown["unload_on_shutdown"] is tasks.unload_on_shutdown


def test_a_backlog_loads_the_model_once_and_its_last_task_closes_it(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two saved entries read as the consumer reads them (``huey.execute``, hooks included) on
    a scripted LM: one load for the backlog, kept while an entry waits, closed after the last;
    the entities scripted for each entry are filed."""
    import charlie_worker.pipeline.tasks  # noqa: F401 - installs read_entry's body and the hooks

    # Names no rule can type, so the extractor has to ask the (scripted) model about each.
    zorba, kestrel = "Lunch at Zorba today with Okonkwo.", "Tea at Kestrel Hall later."
    script = by_text(
        {
            zorba: types_answer(("Zorba", "Place")),
            kestrel: types_answer(("Kestrel Hall", "Organization")),
        }
    )
    loaded: list[ScriptedLM] = []

    def load() -> ScriptedLM:
        loaded.append(ScriptedLM(script))
        return loaded[-1]

    scripted = ModelManager({"llm": load})
    monkeypatch.setattr(manager_module, "_manager", scripted)
    first, second = save_entry(zorba), save_entry(kestrel)
    huey = bind_queue()
    assert queued_tasks() == 2
    huey.storage.flush_queue()  # the consumer takes the tasks off the queue, then runs them

    result = huey.execute(read_entry.s(first, DEFAULT_JOURNAL))
    assert result["extracted_count"] == 2
    assert len(loaded) == 1 and not loaded[0].closed
    assert scripted.loaded_kinds() == ["llm"]  # the second entry waits: the model stays
    assert get_episode_status(second) == PENDING

    result = huey.execute(read_entry.s(second, DEFAULT_JOURNAL))
    assert result["extracted_count"] == 1
    assert len(loaded) == 1  # loaded once for the whole backlog
    assert loaded[0].closed
    assert scripted.loaded_kinds() == []  # the last task of the backlog closed it
    assert len(loaded[0].scripted.requests) == 2  # one extraction per entry, nothing else asked
    assert status.read_status().loads == 1

    for episode_uuid, expected in (
        (first, [("Okonkwo", "Person"), ("Zorba", "Place")]),
        (second, [("Kestrel Hall", "Organization")]),
    ):
        entry = get_entry(episode_uuid)
        assert entry is not None and entry.state == "done"
        assert [(e.name, e.type) for e in entry.entities] == expected


def test_a_later_backlog_starts_from_the_instructions_the_first_one_saved(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real model, unloaded after each of two one-entry backlogs: the second load reads
    the instructions' KV state the first saved in the data dir instead of evaluating them."""
    import charlie_worker.pipeline.tasks  # noqa: F401 - installs read_entry's body and the hooks
    from charlie_inference import ModelSettings, make_lm

    loaded: list = []

    def load() -> object:
        loaded.append(make_lm())
        return loaded[-1]

    monkeypatch.setattr(manager_module, "_manager", ModelManager({"llm": load}))
    huey = bind_queue()
    for text in ("Lunch at Zorba today with Okonkwo.", "Tea at Kestrel Hall later."):
        episode_uuid = save_entry(text)
        huey.storage.flush_queue()
        huey.execute(read_entry.s(episode_uuid, DEFAULT_JOURNAL))
        assert get_entry(episode_uuid).state == "done"
    first, second = loaded
    assert first.closed and second.closed  # one load a backlog, closed by its last task
    usage = [lm.history[0]["usage"] for lm in loaded]
    reused = [u["prompt_tokens_details"]["cached_tokens"] for u in usage]
    assert reused[0] == 0  # nothing saved yet: the first load evaluated everything
    assert reused[1] > usage[1]["prompt_tokens"] / 2  # the instructions, read back
    directory = ModelSettings().prompt_cache_dir
    assert directory is not None and len(list(directory.glob("*.kv"))) == 1


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_real_model_unload_gives_the_memory_back(db: object) -> None:
    import gc

    import charlie_inference  # noqa: F401 - import cost out of the measurement

    gc.collect()
    before = _rss_mb()
    manager = ModelManager()
    lm = manager.get("llm")
    lm.llama_engine.llama.eval([1, 2, 3])  # touch the weights so they are resident
    loaded = _rss_mb()
    assert manager.unload_all() == 1
    after = _rss_mb()
    assert lm.closed
    assert loaded - before > 50, (before, loaded)
    # Most of what loading took is returned (the rest is llama.cpp's one-off runtime state).
    assert after - before < (loaded - before) / 2, (before, loaded, after)

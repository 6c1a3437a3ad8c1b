"""The Model Manager: lazy load, exclusive access, event-driven unload, memory really freed."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest

from charlie_worker import manager, status
from charlie_worker.database.redis_ops import PENDING, set_episode_status


class FakeModel:
    def __init__(self, kind: str, log: list[str]) -> None:
        self.kind, self.log = kind, log
        log.append(f"load {kind}")

    def close(self) -> None:
        self.log.append(f"close {self.kind}")


@pytest.fixture
def fake_kinds(db: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    log: list[str] = []
    monkeypatch.setitem(manager.LOADERS, "llm", lambda: FakeModel("llm", log))
    manager.register_kind("embedder", lambda: FakeModel("embedder", log))
    yield log
    manager.unload_all_models()
    manager.LOADERS.pop("embedder")
    manager.MODELS.pop("embedder")


def test_registry_shape() -> None:
    assert "llm" in manager.MODELS
    assert set(manager.MODELS["llm"]) == {"model"}


def test_get_model_loads_once_and_keeps_it(fake_kinds: list[str]) -> None:
    first = manager.get_model("llm")
    assert manager.get_model("llm") is first
    assert fake_kinds == ["load llm"]
    assert manager.loaded_kinds() == ["llm"]
    assert status.read_status().loads == 1


def test_loading_one_kind_unloads_the_other(fake_kinds: list[str]) -> None:
    manager.get_model("llm")
    manager.get_model("embedder")
    assert fake_kinds == ["load llm", "close llm", "load embedder"]
    assert manager.loaded_kinds() == ["embedder"]


def test_unknown_kind_is_refused(fake_kinds: list[str]) -> None:
    with pytest.raises(ValueError, match="Unknown model kind"):
        manager.get_model("reranker")


def test_cleanup_waits_for_pending_episodes_and_queued_tasks(fake_kinds: list[str]) -> None:
    manager.get_model("llm")
    set_episode_status("e1", PENDING, journal="default")
    assert manager.cleanup_if_no_work(lambda: 0) is False
    from charlie_worker.database.redis_ops import remove_episode_from_queue

    remove_episode_from_queue("e1")
    assert manager.cleanup_if_no_work(lambda: 3) is False  # tasks still queued
    assert manager.loaded_kinds() == ["llm"]
    assert manager.cleanup_if_no_work(lambda: 0) is True
    assert manager.loaded_kinds() == []
    assert fake_kinds[-1] == "close llm"
    assert manager.cleanup_if_no_work(lambda: 0) is False  # nothing left to unload


def test_failed_load_is_reported_and_nothing_is_registered(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> FakeModel:
        raise RuntimeError("Cannot load the model at /x.gguf")

    monkeypatch.setitem(manager.LOADERS, "llm", broken)
    with pytest.raises(RuntimeError):
        manager.get_model("llm")
    assert manager.loaded_kinds() == []
    assert "Cannot load the model" in status.read_status().error


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_real_model_unload_gives_the_memory_back(db: object) -> None:
    import gc

    import charlie_inference  # noqa: F401 - import cost out of the measurement

    gc.collect()
    before = _rss_mb()
    lm = manager.get_model("llm")
    lm.llama_engine.llama.eval([1, 2, 3])  # touch the weights so they are resident
    loaded = _rss_mb()
    assert manager.unload_all_models() == 1
    after = _rss_mb()
    assert lm.closed
    assert loaded - before > 50, (before, loaded)
    # Most of what loading took is returned (the rest is llama.cpp's one-off runtime state).
    assert after - before < (loaded - before) / 2, (before, loaded, after)


def test_worker_and_inference_agree_on_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from charlie_inference import data_dir
    from charlie_worker.settings import WorkerSettings

    monkeypatch.delenv("CHARLIE_DATA_DIR")
    assert WorkerSettings().data_dir == data_dir()

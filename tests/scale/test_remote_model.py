"""A model on an OpenAI-compatible server: same program, same grammar, no local model held."""

from __future__ import annotations

import dspy
import pytest

import charlie_worker.pipeline.tasks  # noqa: F401  (installs the reader of read_entry)
from charlie_inference import EntityExtractor, ModelSettings, make_lm
from charlie_inference.remote import ModelServerError, RemoteEngine
from charlie_worker.pipeline import manager
from charlie_worker.pipeline.manager import ModelManager
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.queue import bind_queue, read_entry

pytestmark = pytest.mark.slow


def test_extractor_runs_on_the_server_with_schema_grammar(model_server: str) -> None:
    lm = make_lm(ModelSettings(api_base=model_server))
    assert isinstance(lm._engine_spec, RemoteEngine)
    with dspy.context(lm=lm):
        for text in ["Lunch at Zorba today.", "Dinner at Zorba, then Kestrel Hall."]:
            EntityExtractor()(text=text)  # raises ExtractionError if the output did not parse
    assert lm.history[-1]["usage"]["prompt_tokens"] > 0


def test_worker_uses_the_server_and_unloading_frees_nothing_local(
    model_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from charlie_worker.store.connection import close_db, get_db

    close_db()
    monkeypatch.setenv("CHARLIE_LLM_API_BASE", model_server)
    monkeypatch.setenv("CHARLIE_LLM_MODEL_PATH", str(tmp_path / "no-local-model.gguf"))
    monkeypatch.setattr(manager, "_manager", ModelManager())  # this test's worker process
    get_db()
    try:
        episode_uuid = save_entry("Lunch at Zorba today with Sarah.")
        huey = bind_queue()
        huey.storage.flush_queue()  # taken off the queue, as the consumer does
        # Run as the consumer runs it: the task, then its hooks (post_execute unloads).
        result = huey.execute(read_entry.s(episode_uuid, DEFAULT_JOURNAL))
        assert result["extracted_count"] >= 0
        assert get_entry(episode_uuid).state == "done"
        # The remote "model" was released after the backlog.
        assert manager.manager().loaded_kinds() == []
    finally:
        close_db()


def test_unreachable_server_is_a_clear_error() -> None:
    lm = make_lm(ModelSettings(api_base="http://127.0.0.1:9/v1"))
    with dspy.context(lm=lm), pytest.raises(Exception, match="CHARLIE_LLM_API_BASE") as info:
        EntityExtractor()(text="Lunch at Zorba today.")
    chain, error = [], info.value
    while error is not None:
        chain.append(type(error))
        error = error.__cause__ or error.__context__
    assert ModelServerError in chain, chain

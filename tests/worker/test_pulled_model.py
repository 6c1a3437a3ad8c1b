"""A model pulled and chosen with ``charlie-inference`` is the one the worker reads entries with:
no exported variable, only the settings file ``use`` wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

import charlie_worker.pipeline.tasks  # noqa: F401  (installs the reader of read_entry)
from charlie_inference import bundled_model_path
from charlie_worker.pipeline import manager
from charlie_worker.pipeline.manager import Model, ModelManager, load_llm
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.queue import bind_queue, read_entry
from kit.fake_hub import FakeHub, run_command

pytestmark = pytest.mark.slow

PULLED = "charlie-test/tiny-GGUF/Pulled-SmolLM2.gguf"


def test_the_worker_reads_entries_with_the_pulled_model(
    db, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeHub({PULLED: bundled_model_path().read_bytes()}) as hub:
        for step in (["pull", PULLED], ["use", str(data_dir / "models" / "Pulled-SmolLM2.gguf")]):
            result = run_command(*step, hub=hub, hf_home=tmp_path / "hf")
            assert result.returncode == 0, result.stderr

    loaded: list[Path] = []

    def recording_loader() -> Model:
        lm = load_llm()  # the worker's own loader: make_lm() on the settings it reads
        loaded.append(lm.settings.model_path)
        return lm

    monkeypatch.setattr(manager, "_manager", ModelManager({"llm": recording_loader}))
    episode_uuid = save_entry("Lunch at Ottolenghi with Marguerite, then a walk in Kettering.")
    huey = bind_queue()
    huey.storage.flush_queue()  # taken off the queue, as the consumer does
    huey.execute(read_entry.s(episode_uuid, DEFAULT_JOURNAL))
    assert get_entry(episode_uuid).state == "done"
    assert loaded == [data_dir / "models" / "Pulled-SmolLM2.gguf"]

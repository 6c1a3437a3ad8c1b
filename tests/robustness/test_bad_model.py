"""A bad model setting is a configuration problem, never the entries' fault.

Missing file, random bytes, a GGUF header over garbage, a context window too small for the
prompt: the worker says so (log and ``read_status().error``), stays up, leaves every entry
waiting, and reads them all once restarted with a good setting.
"""

from __future__ import annotations

import os
from pathlib import Path

import dspy
import pytest
from dspy.lm15 import Config, ContextLengthError, Message, Request

from charlie_inference import (
    ContextWindowError,
    DspyLM,
    ExtractionError,
    ModelSettings,
    load_extractor,
    load_model,
)
from charlie_worker.store import worker_state as status
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry

# Each names a place no rule can type (Zorba), so the extractor must ask the model.
SHORT = "Lunch at Zorba today with Sarah."
# ~1,150 characters with few names: its prompt (~850 tokens with the extractor's instructions
# and demos) overflows a CHUNK_CTX-token context, the prompt of each half (~770) fits.
CHUNK_CTX = 820
LONG = (
    "Today I walked along the river past Zorba. The weather was grey and cold, and the path "
    "was muddy after the rain, so we went slowly and talked about nothing in particular. "
) * 5 + "In the evening I read a book and went to bed early."


# --------------------------------------------------------------------------- in process


def test_a_context_too_small_for_the_prompt_is_a_configuration_error() -> None:
    settings = ModelSettings(n_ctx=256)
    lm = DspyLM(settings)
    try:
        with dspy.context(lm=lm):
            for text in (SHORT, LONG):
                with pytest.raises(ContextWindowError, match="CHARLIE_LLM_N_CTX") as info:
                    load_extractor(settings)(text=text)
                assert not isinstance(info.value, ExtractionError)  # not "unusable output"
    finally:
        lm.close()


def test_a_chunk_the_context_cannot_hold_is_read_in_pieces() -> None:
    # Chunks are sized in characters; CJK or emoji text can be several tokens a character,
    # so a chunk can overflow even the default context. Simulated with a small context.
    settings = ModelSettings(n_ctx=CHUNK_CTX)
    lm = DspyLM(settings)
    try:
        with dspy.context(lm=lm):
            entities = load_extractor(settings)(text=LONG).entities
        assert isinstance(entities, list)
        prompts = [call["usage"]["prompt_tokens"] for call in lm.history]
        assert prompts and max(prompts) < CHUNK_CTX
    finally:
        lm.close()


def test_the_engine_reports_context_overflow_as_context_length_error() -> None:
    settings = ModelSettings(n_ctx=256)
    lm = DspyLM(settings, llama=load_model(settings))
    try:
        too_long = Request(model=lm.model, messages=(Message.user("word " * 400),))
        with pytest.raises(ContextLengthError, match="exceed context window of 256"):
            lm.llama_engine.complete(too_long)
        # The prompt fits but the answer would not: llama.cpp silently cuts it at the window.
        cut = Request(
            model=lm.model,
            messages=(Message.user("Write a long story about a dragon."),),
            config=Config(max_tokens=400, temperature=0.0),
        )
        with pytest.raises(ContextLengthError, match="cut off by the context window of 256"):
            lm.llama_engine.complete(cut)
    finally:
        lm.close()


# --------------------------------------------------------------------------- the worker


def _bad_settings(tmp_path: Path) -> dict[str, tuple[dict[str, str], str]]:
    random_bytes = tmp_path / "random.gguf"
    random_bytes.write_bytes(os.urandom(1 << 16))
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"GGUF" + os.urandom(1 << 16))
    return {
        "missing file": (
            {"CHARLIE_LLM_MODEL_PATH": str(tmp_path / "nope.gguf")},
            "the file does not exist",
        ),
        "random bytes": ({"CHARLIE_LLM_MODEL_PATH": str(random_bytes)}, "not a GGUF model"),
        "GGUF header over garbage": (
            {"CHARLIE_LLM_MODEL_PATH": str(garbage)},
            "llama.cpp could not read it",
        ),
        "context too small": ({"CHARLIE_LLM_N_CTX": "256"}, "Raise CHARLIE_LLM_N_CTX"),
    }


@pytest.mark.slow
def test_bad_model_settings_leave_entries_waiting_until_fixed(db, workers, rb, tmp_path) -> None:
    uuids = [save_entry(SHORT), save_entry("Dinner at Zorba, then Kestrel Hall.")]
    for name, (env, message) in _bad_settings(tmp_path).items():
        log = tmp_path / f"worker-{name.replace(' ', '-')}.log"
        worker = workers.start(env, log=log)
        rb.wait_for(
            lambda w=worker: status.read_status().pid == w.pid and status.read_status().error,
            90,
            f"{name}: the worker to report the error",
        )
        report = status.read_status()
        assert message in report.error, (name, report.error)
        # Every entry was tried and left waiting (none failed for a setting).
        rb.wait_for(
            lambda log=log: log.read_text().count("stays pending") >= len(uuids),
            60,
            f"{name}: every entry to be tried",
        )
        assert message in log.read_text(), name
        states = {u: get_entry(u).state for u in uuids}
        assert set(states.values()) == {"waiting"}, (name, states)
        assert worker.poll() is None, f"{name}: the worker crashed"
        # The last task of the backlog does not keep a model it cannot use.
        rb.wait_for(lambda: status.read_status().model == "", 30, f"{name}: no model resident")
        assert status.read_status().running, name
        assert workers.stop(worker) == 0, name

    workers.start()  # the setting fixed
    rb.wait_for(lambda: not rb.episode_keys(), 180, "the entries to be read")
    assert {get_entry(u).state for u in uuids} == {"done"}
    assert status.read_status().error == ""
    assert rb.graph_problems() == []

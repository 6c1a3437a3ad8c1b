"""The model goes away under a running worker: entries wait, say why, and are read once it is
back; none is marked failed, none stays "reading".

* The model server (``CHARLIE_LLM_API_BASE``, a stand-in speaking the documented protocol)
  stopped and started again.
* The model file deleted while the worker has it loaded: the loaded model reads on from the
  mapped file; the next load fails with a reason, and succeeds once the file is back.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import dspy
import pytest

from charlie_inference import EntityExtractor, ModelSettings, bundled_model_path, make_lm
from charlie_inference.remote import ModelServerError
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.worker_state import WorkerStatus, read_status
from kit import crash
from kit.fake_lm import by_text
from kit.model_server import StandInModelServer


@pytest.fixture
def model_server() -> Iterator[StandInModelServer]:
    server = StandInModelServer(by_text(crash.NAMES))
    server.start()
    yield server
    server.stop()


def _states(uuids: list[str]) -> list[str]:
    return [get_entry(uuid).state for uuid in uuids]


def _waiting_because(rb, *words: str) -> WorkerStatus:
    """The worker's status once it says it waits for a reason holding ``words``."""
    return rb.wait_for(
        lambda: (s := read_status()).error and all(w in s.error for w in words) and s,
        120,
        f"the worker to say it waits ({', '.join(words)})",
    )


def _all_done(rb, uuids: list[str], what: str) -> None:
    rb.wait_for(lambda: set(_states(uuids)) == {"done"}, 180, what)


def test_an_unreachable_model_server_is_an_outage_not_unusable_output() -> None:
    """DSPy wraps what the engine raises; the extractor still tells an outage (the worker
    waits) from unusable output (the entry fails after its retries)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    lm = make_lm(ModelSettings(api_base=base))
    with dspy.context(lm=lm), pytest.raises(ModelServerError, match="unreachable"):
        EntityExtractor()(text="A concert at Kestrel Hall.")


def test_entries_wait_while_the_model_server_is_down_and_are_read_once_it_is_back(
    db, workers, rb, model_server: StandInModelServer
) -> None:
    worker = workers.start(env={"CHARLIE_LLM_API_BASE": model_server.base})
    first = save_entry("Lunch at Zorba today with Okonkwo.")
    _all_done(rb, [first], "an entry read on the model server")

    model_server.stop()
    # Both name someone only the model can type: each needs the server.
    texts = ("A concert at Kestrel Hall.", "Coffee with Okonkwo, who joined Quillon.")
    down = [save_entry(text) for text in texts]
    status = _waiting_because(rb, "model server", "unreachable", "retrying in 5 s")
    assert model_server.base in status.error
    assert _states(down) == ["waiting", "waiting"]  # released, not failed, not "reading"

    model_server.start()
    _all_done(rb, down, "the waiting entries to be read once the server is back")
    names = {e.name for uuid in down for e in get_entry(uuid).entities}
    assert names == {"Kestrel Hall", "Okonkwo", "Quillon"}
    assert read_status().error == ""
    assert rb.graph_problems() == []
    assert workers.stop(worker) == 0
    assert crash.still_to_do() == [], "the worker left something to do in redis"


@pytest.mark.slow
def test_a_model_file_deleted_while_loaded_reads_on_then_waits_for_it(
    db, workers, rb, tmp_path: Path
) -> None:
    model = tmp_path / "models" / "model.gguf"
    model.parent.mkdir()
    shutil.copyfile(bundled_model_path(), model)
    # Names no rule types: every entry of the backlog makes a model call.
    backlog = [save_entry(f"We saw {name} again.") for name in ("Zorba", "Quillon", "Marrowby")]
    workers.start(env={"CHARLIE_LLM_MODEL_PATH": str(model)})
    rb.wait_for(lambda: read_status().model == "llm", 120, "the worker to load the model")
    model.unlink()
    assert "waiting" in _states(backlog), "the backlog was read before the file was deleted"
    _all_done(rb, backlog, "the backlog read from the deleted, still mapped model file")

    rb.wait_for(lambda: read_status().model == "", 60, "the model to be unloaded")
    later = save_entry("We saw Kestrel Hall again.")
    status = _waiting_because(rb, str(model), "does not exist", "retrying in")
    assert status.model == ""
    assert _states([later]) == ["waiting"]

    shutil.copyfile(bundled_model_path(), model)
    _all_done(rb, [later], "the entry to be read once the model file is back")
    assert rb.graph_problems() == []

"""A long entry is read chunk by chunk and each chunk's result is kept in its redis hash: a
retry or a restart reads only the chunks not read yet, and a chunk whose answer stays unusable
leaves the others filed while the entry says which characters could not be read.

Entries are read as the consumer reads them (``huey.execute``, hooks and retries included) on
a scripted model that counts its calls; each chunk of ``kit.long_entries`` is one call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charlie_inference import ModelServerError, chunks_of
from charlie_worker.pipeline import manager as manager_module
from charlie_worker.pipeline import tasks  # installs read_entry's body and the hooks
from charlie_worker.pipeline.manager import ModelManager, manager
from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store.chunk_progress import FIELD_PREFIX, save_chunk, saved_chunks
from charlie_worker.store.entries import delete_entry
from charlie_worker.store.episode_state import FAILED, get_episode_data, get_episode_status
from charlie_worker.store.journal import Journal, save_entry
from charlie_worker.store.queries import get_entry
from charlie_worker.store.queue import bind_queue, read_entry
from charlie_worker.store.worker_state import read_status
from kit.fake_lm import ScriptedLM, types_answer
from kit.long_entries import NAMES, long_entry

TEXT = long_entry()
CHUNKS = chunks_of(TEXT)
ALWAYS = 1_000


class Model:
    """The scripted model: the name in each chunk is a Person, except that the answer about
    a name in ``bad`` is unusable (that many more times), and asking about a name in ``down``
    finds the model server down. ``asked`` lists the name of every call."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.bad: dict[str, int] = {}
        self.down: set[str] = set()

    def __call__(self, prompt: str) -> str:
        name = next(n for n in NAMES if n in prompt)
        self.asked.append(name)
        if name in self.down:
            raise ModelServerError("The model server at http://127.0.0.1:9/v1 failed: refused")
        if self.bad.get(name, 0) > 0:
            self.bad[name] -= 1
            return "not JSON at all"
        return types_answer((name, "Person"))


@pytest.fixture
def model(db: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Model]:
    scripted = Model()
    models = ModelManager({"llm": lambda: ScriptedLM(scripted)})
    monkeypatch.setattr(manager_module, "_manager", models)
    tasks.BACKOFF.reset()
    yield scripted
    manager().unload_all()
    tasks.BACKOFF.reset()


def run(episode_uuid: str) -> object:
    """Run the entry's queued task as the consumer does, then each retry after unusable output
    it schedules (not one after a backoff: the test ends the wait itself)."""
    huey = bind_queue()
    huey.storage.flush_queue()  # the consumer takes the task off the queue
    result = huey.execute(read_entry.s(episode_uuid, J))
    while retry := huey.scheduled():
        huey.storage.flush_schedule()
        if tasks.BACKOFF.remaining() > 0:
            break
        result = huey.execute(retry[0])
    return result


def names(episode_uuid: str) -> list[str]:
    entry = get_entry(episode_uuid)
    assert entry is not None
    return sorted(e.name for e in entry.entities)


def chunk_fields(episode_uuid: str) -> list[str]:
    return [f for f in get_episode_data(episode_uuid) if f.startswith(FIELD_PREFIX)]


def test_each_chunk_of_the_test_entry_is_one_model_call() -> None:
    assert [n for chunk in CHUNKS for n in NAMES if n in chunk.text] == list(NAMES)


def test_one_unusable_chunk_is_retried_alone(model: Model) -> None:
    model.bad = {"Tadeusz": 1}
    entry = save_entry(TEXT)
    result = run(entry)
    assert isinstance(result, dict) and result["extracted_count"] == len(NAMES)
    assert model.asked == [*NAMES, "Tadeusz"]  # the retry asked about that chunk alone
    assert names(entry) == sorted(NAMES)
    assert get_episode_status(entry) is None  # read: nothing of it is left in redis


def test_a_chunk_that_stays_unusable_leaves_the_rest_filed_and_is_named(model: Model) -> None:
    model.bad = {"Tadeusz": ALWAYS}
    entry = save_entry(TEXT)
    run(entry)
    assert model.asked == [*NAMES, "Tadeusz", "Tadeusz"]  # three attempts, the retries alone
    detail = get_entry(entry)
    assert detail is not None and detail.state == "failed"
    assert names(entry) == sorted(set(NAMES) - {"Tadeusz"})
    bad = CHUNKS[NAMES.index("Tadeusz")]
    assert detail.error is not None
    assert detail.error.startswith(
        f"characters {bad.start + 1:,} to {bad.end:,} of {len(TEXT):,} could not be read"
    )
    assert "unusable" in detail.error and detail.error.endswith("(after 3 attempts)")

    # ``r``: only that chunk is read again, and the entry is whole.
    model.bad.clear()
    model.asked.clear()
    journal = Journal(J)
    journal.open()
    journal.retry(entry)
    run(entry)
    assert model.asked == ["Tadeusz"]
    assert names(entry) == sorted(NAMES)
    assert get_episode_status(entry) is None


def test_neighbouring_unusable_chunks_are_named_as_one_part(model: Model) -> None:
    model.bad = {"Marisol": ALWAYS, "Tadeusz": ALWAYS, "Radhika": ALWAYS}
    entry = save_entry(TEXT)
    run(entry)
    first, second, last = (CHUNKS[NAMES.index(n)] for n in ("Marisol", "Tadeusz", "Radhika"))
    error = get_episode_data(entry)["error"]
    assert error.startswith(
        f"characters {first.start + 1:,} to {second.end:,} and "
        f"{last.start + 1:,} to {last.end:,} of {len(TEXT):,} could not be read"
    )


def test_an_entry_no_chunk_of_which_could_be_read_fails_as_before(model: Model) -> None:
    model.bad = {name: ALWAYS for name in NAMES}
    entry = save_entry(TEXT)
    run(entry)
    assert get_episode_status(entry) == FAILED
    assert get_episode_data(entry)["error"].startswith("the model's answer was unusable")
    assert names(entry) == []


def test_a_reading_stopped_mid_entry_goes_on_from_the_chunk_it_stopped_at(model: Model) -> None:
    """The model server goes down at the fourth chunk: the entry waits (not its fault), and
    the next try reads from that chunk on."""
    model.down = {"Tadeusz"}
    entry = save_entry(TEXT)
    assert run(entry) is None  # released, to be tried again after a backoff
    assert model.asked == list(NAMES[:4])
    assert get_entry(entry).state == "waiting"
    assert len(chunk_fields(entry)) == 3  # the three chunks read are kept

    model.down.clear()
    model.asked.clear()
    tasks.BACKOFF.reset()  # as when the wait is over
    run(entry)
    assert model.asked == list(NAMES[3:])
    assert names(entry) == sorted(NAMES)
    assert get_episode_status(entry) is None


def test_a_short_entry_keeps_nothing_per_chunk(model: Model) -> None:
    model.down = {"Zorba"}
    entry = save_entry("Later I thought about Zorba for a while.")
    assert run(entry) is None
    assert model.asked == ["Zorba"]
    assert chunk_fields(entry) == []


def test_the_status_says_which_part_of_a_long_entry_is_read(model: Model) -> None:
    seen: list[tuple[int, int]] = []

    def spy(prompt: str) -> str:
        status = read_status()
        seen.append((status.part, status.parts))
        return Model.__call__(model, prompt)

    manager_module._manager = ModelManager({"llm": lambda: ScriptedLM(spy)})
    run(save_entry(TEXT))
    assert seen == [(n, len(NAMES)) for n in range(1, len(NAMES) + 1)]
    assert (read_status().part, read_status().parts) == (0, 0)  # the entry is read


def test_an_edited_chunk_is_read_again_and_the_rest_is_kept(db: object) -> None:
    entry = save_entry(TEXT)
    for chunk in CHUNKS:
        assert save_chunk(entry, chunk.text, [("Someone", "Person")])
    edited = [*(c.text for c in CHUNKS[:-1]), CHUNKS[-1].text.replace("Radhika", "Priya")]
    saved = saved_chunks(entry, edited)
    assert set(saved) == set(edited[:-1])
    assert len(chunk_fields(entry)) == len(CHUNKS) - 1  # the old text's result is dropped


def test_a_deleted_entry_keeps_nothing_and_gets_nothing_back(db: object) -> None:
    entry = save_entry(TEXT)
    assert save_chunk(entry, CHUNKS[0].text, [])
    delete_entry(entry)
    assert get_episode_data(entry) == {}
    assert not save_chunk(entry, CHUNKS[1].text, [])  # a chunk read too late
    assert get_episode_data(entry) == {}

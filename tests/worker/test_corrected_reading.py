"""Reading (and re-reading) an entry respects the user's corrections: blocked names stay out,
an alias resolves to its merged or renamed entity, a retyped entity keeps its type.

Entries are saved and queued by the store (``save_entry``, ``Journal.update``) and read as the
consumer reads them (``huey.execute``, hooks included), on a scripted model; one test runs the
real bundled model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import charlie_worker.pipeline.tasks  # noqa: F401 - installs read_entry's body and the hooks
from charlie_worker.pipeline import manager as manager_module
from charlie_worker.pipeline.manager import ModelManager, manager
from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store import corrections
from charlie_worker.store.entities import known_entities
from charlie_worker.store.journal import Journal, save_entry
from charlie_worker.store.queries import EntityRef, get_entry
from charlie_worker.store.queue import bind_queue, read_entry
from kit.fake_lm import ScriptedLM, by_text, types_answer
from kit.seeds import read_entry_as

Read = Callable[[str], list[EntityRef]]

# Names no rule can type: the extractor asks the (scripted) model about them.
ANSWERS = by_text(
    {
        "Zorba": types_answer(("Zorba", "Place")),
        "Kestrel": types_answer(("Kestrel Hall", "Organization")),
    }
)


def uuid_of(name: str) -> str:
    return next(k.uuid for k in known_entities(J) if k.name == name)


@pytest.fixture
def read(db: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Read]:
    """``read(uuid)``: run the entry's queued task as the consumer does; its entities after."""
    monkeypatch.setattr(
        manager_module, "_manager", ModelManager({"llm": lambda: ScriptedLM(ANSWERS)})
    )
    huey = bind_queue()

    def run(episode_uuid: str) -> list[EntityRef]:
        huey.storage.flush_queue()  # the consumer takes the task off the queue, then runs it
        huey.execute(read_entry.s(episode_uuid, J))
        entry = get_entry(episode_uuid)
        assert entry is not None and entry.state == "done"
        return entry.entities

    yield run
    manager().unload_all()


def test_a_blocked_name_is_not_filed_again(read: Read) -> None:
    first = save_entry("Lunch at Zorba today with Okonkwo.")
    assert [e.name for e in read(first)] == ["Okonkwo", "Zorba"]
    corrections.block(J, uuid_of("Zorba"))
    assert [e.name for e in get_entry(first).entities] == ["Okonkwo"]
    again = save_entry("Back at Zorba with Okonkwo.")
    assert [e.name for e in read(again)] == ["Okonkwo"]


def test_re_reading_an_edited_entry_keeps_a_blocked_name_out(read: Read) -> None:
    entry = save_entry("Lunch at Zorba today with Okonkwo.")
    read(entry)
    corrections.block_name(J, "zorba")
    journal = Journal(J)
    journal.open()
    journal.update(entry, "Lunch at Zorba today with Okonkwo, then a walk.")
    assert [e.name for e in read(entry)] == ["Okonkwo"]


def test_a_merged_alias_resolves_to_the_merged_entity(read: Read) -> None:
    read_entry_as("Coffee with Sarah.", ("Sarah", "Person"))
    read_entry_as("Sara rang.", ("Sara", "Person"))
    sarah = uuid_of("Sarah")
    corrections.merge(J, sarah, [uuid_of("Sara")])
    later = save_entry("Walked by the canal with Sara.")
    assert [(e.uuid, e.name) for e in read(later)] == [(sarah, "Sarah")]


def test_a_renamed_entity_is_found_by_its_old_and_new_names(read: Read) -> None:
    first = save_entry("Tea at Kestrel Hall later.")
    [hall] = read(first)
    corrections.rename(J, hall.uuid, "Kestrel Music Hall")
    old = save_entry("Back at Kestrel Hall.")
    new = save_entry("The Kestrel Music Hall was full.")
    assert [(e.uuid, e.name) for e in read(old)] == [(hall.uuid, "Kestrel Music Hall")]
    assert [(e.uuid, e.name) for e in read(new)] == [(hall.uuid, "Kestrel Music Hall")]


def test_a_retyped_entity_keeps_the_users_type(read: Read) -> None:
    first = save_entry("Tea at Kestrel Hall later.")
    [hall] = read(first)
    assert hall.type == "Organization"
    corrections.retype(J, hall.uuid, "Place")
    later = save_entry("Kestrel Hall again, with the choir.")
    assert [(e.uuid, e.type) for e in read(later)] == [(hall.uuid, "Place")]


@pytest.mark.slow
def test_on_the_real_model_a_blocked_name_stays_out_and_an_alias_resolves(db: object) -> None:
    """The bundled model reads the entries; the corrections hold whatever it answers."""
    huey = bind_queue()
    try:
        read_entry_as("Texted Mom.", ("Texted Mom", "Person"))
        read_entry_as("Lunch with Priya.", ("Priya", "Person"))
        read_entry_as("Priya Sharma called.", ("Priya Sharma", "Person"))
        corrections.block(J, uuid_of("Texted Mom"))
        corrections.merge(J, uuid_of("Priya Sharma"), [uuid_of("Priya")])
        entry = save_entry("Texted Mom, then dinner with Priya in Lisbon.")
        huey.storage.flush_queue()
        huey.execute(read_entry.s(entry, J))
        found = {(e.uuid, e.name) for e in get_entry(entry).entities}
        assert (uuid_of("Priya Sharma"), "Priya Sharma") in found
        assert "Texted Mom" not in {name for _, name in found}
    finally:
        manager().unload_all()

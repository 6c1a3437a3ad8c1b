"""Each correction on the real embedded graph: what it writes, what it refuses, and that its
``Undo`` puts the journal back exactly as it was."""

from __future__ import annotations

import pytest

from charlie_inference import ENTITY_TYPES, normalize_name
from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store import corrections
from charlie_worker.store.corrections import CorrectionError
from charlie_worker.store.entities import (
    Known,
    Mention,
    blocked_norms,
    file_mentions,
    known_entities,
)
from charlie_worker.store.entity_pages import entity_page
from charlie_worker.store.entries import delete_entry
from charlie_worker.store.names import ENTITY_TYPES as STORE_TYPES
from charlie_worker.store.names import normal_name
from charlie_worker.store.queries import get_entry
from charlie_worker.store.quotes import Quote
from kit.seeds import read_entry_as


def journal_state() -> tuple[list[tuple[object, ...]], list[tuple[str, ...]], frozenset[str]]:
    """Everything a correction may change: entities with aliases, who mentions whom, blocks."""
    from charlie_worker.store.graphs import select_graph

    mentions = select_graph(J).ro_query(
        "MATCH (e:Episode)-[:MENTIONS]->(n:Entity) RETURN e.uuid, n.uuid ORDER BY e.uuid, n.uuid"
    )
    written = select_graph(J).ro_query("MATCH (n:Entity) RETURN n.uuid, n.written_as")
    written_as = {uuid: names or [] for uuid, names in written.result_set}
    entities = sorted(
        (k.uuid, k.name, k.norm, k.type, k.aliases, k.alias_norms, written_as[k.uuid])
        for k in known_entities(J)
    )
    return entities, [tuple(row) for row in mentions.result_set], blocked_norms(J)


def by_name() -> dict[str, Known]:
    return {k.name: k for k in known_entities(J)}


@pytest.fixture
def seeded(db: object) -> dict[str, str]:
    return {
        "texted": read_entry_as(
            "Texted Mom. Coffee with Sarah at Elm Street.",
            ("Texted Mom", "Place"),
            ("Sarah", "Person"),
            ("Elm Street", "Place"),
        ),
        "sara": read_entry_as("Sara and Mum came round.", ("Sara", "Person"), ("Mum", "Person")),
        "both": read_entry_as(
            "Sarah and Sara? Same person.", ("Sarah", "Person"), ("Sara", "Person")
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["Priya", "  PRIYA   Sharma. ", "José-María", "Ærø", "Straße", "O'Neil", "東京 駅", "x__y"],
)
def test_the_store_folds_names_as_the_worker_does(name: str) -> None:
    assert normal_name(name) == normalize_name(name)


def test_the_store_knows_the_models_types() -> None:
    assert STORE_TYPES == ENTITY_TYPES


def test_rename_keeps_the_old_name_as_an_alias_and_undo_restores_it(seeded) -> None:
    before = journal_state()
    mom = by_name()["Texted Mom"]
    undo = corrections.rename(J, mom.uuid, "  Mom ")
    renamed = by_name()["Mom"]
    assert (renamed.uuid, renamed.norm, renamed.type) == (mom.uuid, "mom", "Place")
    assert (renamed.aliases, renamed.alias_norms) == (("Texted Mom",), ("texted mom",))
    assert undo.description == "Renamed “Texted Mom” to “Mom”."
    corrections.undo(J, undo)
    assert journal_state() == before


def test_renaming_to_an_alias_takes_it_off_the_aliases(seeded) -> None:
    mom = by_name()["Texted Mom"]
    corrections.rename(J, mom.uuid, "Mom")
    corrections.rename(J, mom.uuid, "texted mom")
    again = by_name()["texted mom"]
    assert again.aliases == ("Mom",)


def test_rename_onto_another_entity_is_refused_and_writes_nothing(seeded) -> None:
    before = journal_state()
    with pytest.raises(CorrectionError, match="already a person called “sarah”"):
        corrections.rename(J, by_name()["Sara"].uuid, "sarah")
    assert journal_state() == before


@pytest.mark.parametrize("bad", ["", "   ", "!!", "x" * 61, "Mo\x00m"])
def test_a_bad_name_is_refused_with_a_message(seeded, bad: str) -> None:
    with pytest.raises(CorrectionError):
        corrections.rename(J, by_name()["Sara"].uuid, bad)


def test_retype_and_undo(seeded) -> None:
    before = journal_state()
    undo = corrections.retype(J, by_name()["Texted Mom"].uuid, "Person")
    assert by_name()["Texted Mom"].type == "Person"
    assert undo.description == "“Texted Mom” is now a person."
    corrections.undo(J, undo)
    assert journal_state() == before


def test_retype_to_an_unknown_type_or_onto_a_namesake_is_refused(seeded) -> None:
    mom = by_name()["Texted Mom"]
    with pytest.raises(CorrectionError, match="not a type"):
        corrections.retype(J, mom.uuid, "Planet")
    corrections.rename(J, by_name()["Sara"].uuid, "Texted Mom")  # a person of that name
    with pytest.raises(CorrectionError, match="already a person"):
        corrections.retype(J, mom.uuid, "Person")


def test_merge_moves_mentions_keeps_names_as_aliases_and_undo_splits_them_again(
    seeded,
) -> None:
    before = journal_state()
    names = by_name()
    sarah, sara, mum = names["Sarah"], names["Sara"], names["Mum"]
    undo = corrections.merge(J, sarah.uuid, [sara.uuid, mum.uuid, sarah.uuid])
    after = by_name()
    assert "Sara" not in after and "Mum" not in after
    merged = after["Sarah"]
    assert (merged.uuid, merged.type) == (sarah.uuid, "Person")
    assert set(merged.alias_norms) == {"sara", "mum"}
    for entry in seeded.values():  # every entry that named one of them names the survivor once
        assert [e.name for e in get_entry(entry).entities].count("Sarah") == 1
    assert undo.description.startswith("Merged ") and undo.description.endswith("into “Sarah”.")
    corrections.undo(J, undo)
    assert journal_state() == before


def test_merge_brings_the_ways_entries_wrote_the_others_and_undo_takes_them_back(
    seeded,
) -> None:
    names = by_name()
    sarah, sara = names["Sarah"], names["Sara"]
    entry = read_entry_as("Sal called.")
    file_mentions(entry, J, [Mention("Sal", "Person", sara.uuid, sara.norm, is_new=False)])
    before = journal_state()
    undo = corrections.merge(J, sarah.uuid, [sara.uuid])
    page = entity_page(J, sarah.uuid)
    assert page is not None
    assert [q.quote for q in page.quotes if q.entry_uuid == entry] == [
        Quote("Sal called.", ((0, 3),))
    ]
    corrections.undo(J, undo)
    assert journal_state() == before
    page = entity_page(J, sarah.uuid)
    assert page is not None and entry not in {q.entry_uuid for q in page.quotes}


def test_merge_needs_another_entity(seeded) -> None:
    sarah = by_name()["Sarah"]
    with pytest.raises(CorrectionError, match="at least one other"):
        corrections.merge(J, sarah.uuid, [sarah.uuid])
    with pytest.raises(CorrectionError, match="no longer exist"):
        corrections.merge(J, sarah.uuid, ["no-such-uuid"])


def test_merged_aliases_carry_over_to_the_next_merge(seeded) -> None:
    names = by_name()
    corrections.merge(J, names["Sara"].uuid, [names["Mum"].uuid])
    corrections.merge(J, names["Sarah"].uuid, [names["Sara"].uuid])
    assert set(by_name()["Sarah"].alias_norms) == {"sara", "mum"}


def test_remove_from_one_entry_and_undo(seeded) -> None:
    before = journal_state()
    sarah = by_name()["Sarah"]
    undo = corrections.remove_from_entry(J, sarah.uuid, seeded["texted"])
    assert "Sarah" not in {e.name for e in get_entry(seeded["texted"]).entities}
    assert "Sarah" in {e.name for e in get_entry(seeded["both"]).entities}
    corrections.undo(J, undo)
    assert journal_state() == before


def test_removing_the_last_mention_removes_the_entity(seeded) -> None:
    before = journal_state()
    undo = corrections.remove_from_entry(J, by_name()["Mum"].uuid, seeded["sara"])
    assert "Mum" not in by_name()
    corrections.undo(J, undo)
    assert journal_state() == before


def test_delete_everywhere_and_undo(seeded) -> None:
    before = journal_state()
    undo = corrections.delete_everywhere(J, by_name()["Sarah"].uuid)
    assert "Sarah" not in by_name()
    assert undo.description == "Deleted “Sarah” from every entry."
    corrections.undo(J, undo)
    assert journal_state() == before


def test_undo_does_not_bring_back_an_entity_whose_entries_are_gone(seeded) -> None:
    undo = corrections.delete_everywhere(J, by_name()["Mum"].uuid)
    delete_entry(seeded["sara"])
    corrections.undo(J, undo)
    assert "Mum" not in by_name()


def test_block_deletes_the_entity_blocks_all_its_names_and_undo_unblocks_them(seeded) -> None:
    names = by_name()
    corrections.merge(J, names["Sarah"].uuid, [names["Sara"].uuid])
    corrections.block_name(J, "Sara")  # already blocked by hand: stays blocked after the undo
    before = journal_state()
    undo = corrections.block(J, names["Sarah"].uuid)
    assert "Sarah" not in by_name()
    assert blocked_norms(J) == {"sarah", "sara"}
    assert undo.unblock == ("sarah",)
    corrections.undo(J, undo)
    assert journal_state() == before


def test_block_a_name_unblock_it_and_undo_the_unblock(db: object) -> None:
    undo = corrections.block_name(J, "Texted Mom")
    assert blocked_norms(J) == {"texted mom"}
    corrections.undo(J, undo)
    assert blocked_norms(J) == frozenset()
    corrections.block_name(J, "Texted Mom")
    undo = corrections.unblock(J, "texted mom")
    assert blocked_norms(J) == frozenset()
    corrections.undo(J, undo)
    assert blocked_norms(J) == {"texted mom"}


def test_a_correction_of_something_gone_says_so(seeded) -> None:
    for correct in (
        lambda: corrections.rename(J, "gone", "Mom"),
        lambda: corrections.retype(J, "gone", "Person"),
        lambda: corrections.remove_from_entry(J, "gone", seeded["texted"]),
        lambda: corrections.delete_everywhere(J, "gone"),
        lambda: corrections.block(J, "gone"),
        lambda: corrections.unblock(J, "gone"),
    ):
        with pytest.raises(CorrectionError, match="no longer exists"):
            correct()

"""Resolution's lookups on the real embedded FalkorDB: the journal's names found in an entry
and the candidates of an extracted name come from the indexes, never from reading every
entity, and they resolve names exactly as the whole journal read in full would."""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial

import pytest

from charlie_inference import Entity
from charlie_worker.pipeline.resolution import Ask, resolve
from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store import corrections
from charlie_worker.store.entities import (
    Known,
    candidates_for,
    known_entities,
    named_in,
    word_runs,
)
from charlie_worker.store.graphs import graph_name, select_graph
from charlie_worker.store.schema import FULLTEXT_INDEXES, RANGE_INDEXES, ensure_schema
from charlie_worker.store.servers import Server
from kit.misspellings import misspellings
from kit.seeds import read_entry_as

JOURNAL = (
    ("Priya Sharma", "Person"),
    ("Priya Patel", "Person"),
    ("Mill Road", "Place"),
    ("Halcyon Bank", "Organization"),
    ("Paris", "Place"),
    ("The Who", "Thing"),
)


def seeded() -> dict[str, str]:
    """The journal above, filed through the worker's write path; name → uuid."""
    read_entry_as("Everyone, once.", *JOURNAL)
    return {k.name: k.uuid for k in known_entities(J)}


def names(known: Sequence[Known]) -> list[str]:
    return [k.name for k in known]


def test_word_runs_are_the_texts_normalised_names_up_to_a_length() -> None:
    assert word_runs("Met PRIYA, at Mill-Road.", longest=10) == [
        "at",
        "at mill",
        "met",
        "met priya",
        "mill",
        "mill road",
        "priya",
        "priya at",
        "road",
    ]


def test_the_journals_names_in_an_entry_are_found_in_any_case_and_nothing_else(db: object) -> None:
    uuids = seeded()
    corrections.rename(J, uuids["Halcyon Bank"], "Halcyon")  # "Halcyon Bank" becomes an alias
    found = named_in(J, "Lunch with PRIYA SHARMA on mill road; paid by halcyon bank.")
    expected = {"Priya Sharma", "Mill Road", "Halcyon"}
    assert names(found) == [k.name for k in known_entities(J) if k.name in expected]
    assert next(k.aliases for k in found if k.name == "Halcyon") == ("Halcyon Bank",)
    assert named_in(J, "Nothing anyone knows.") == []
    assert named_in(J, "") == []


def test_a_long_entrys_names_are_found_in_bounded_lookups(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from charlie_worker.store import entities

    seeded()
    monkeypatch.setattr(entities, "RUNS_PER_QUERY", 7)
    text = "Walked. " * 40 + "Then Paris with Priya Sharma. " + "Slept. " * 40 + "The Who!"
    assert len(word_runs(text)) > 3 * 7
    assert set(names(named_in(J, text))) == {"Paris", "Priya Sharma", "The Who"}


def test_a_names_candidates_are_its_exact_names_and_aliases_else_near_names_of_its_type(
    db: object,
) -> None:
    uuids = seeded()
    corrections.rename(J, uuids["Priya Patel"], "Priya P.")
    candidates = partial(candidates_for, J)
    assert names(candidates("paris", "Person")) == ["Paris"]  # an exact name, any type
    assert names(candidates("priya patel", "Place")) == ["Priya P."]  # an alias, any type
    assert "Priya Sharma" in names(candidates("priya sharmma", "Person"))  # a typo
    assert set(names(candidates("priya", "Person"))) == {"Priya Sharma", "Priya P."}
    assert names(candidates("priya", "Place")) == []  # near names are of the name's type
    assert names(candidates("the", "Thing")) == ["The Who"]  # no stopwords in names
    assert names(candidates("priya sharma", "Person")) == ["Priya Sharma"]  # exact: no others
    assert names(candidates("zorba", "Place")) == []


@pytest.mark.parametrize(
    ("written", "kind", "meant"),
    [
        ("halycon bnak", "Organization", "Halcyon Bank"),  # two letters swapped, in each word
        ("halcyn bamk", "Organization", "Halcyon Bank"),  # a letter left out, one changed
        ("hallcyon banck", "Organization", "Halcyon Bank"),  # a letter added to each
        ("margarite", "Person", "Marguerite"),  # a one-word name: two typos in one word
        ("bartholomew", "Person", "Bartholomew Li"),  # a short form
        ("bartholomewli", "Person", "Bartholomew Li"),  # run together
        ("bart", "Person", "Bartholomew Li"),  # the start of a longer name
    ],
)
def test_a_names_near_names_are_found_however_it_was_misspelt(
    db: object, written: str, kind: str, meant: str
) -> None:
    """Every word of a name is looked for within a typo, so a name misspelt in every word is
    still found; the word of a one-word name within two."""
    seeded()
    read_entry_as("More of them.", ("Marguerite", "Person"), ("Bartholomew Li", "Person"))
    assert meant in names(candidates_for(J, written, kind))


def test_the_lookups_use_the_indexes_not_a_scan_of_every_entity(db: object) -> None:
    from charlie_worker.store import entities

    seeded()
    graph = select_graph(J)
    named = graph.explain(entities._NAMED, {"norms": ["paris"]}).plan
    params = {"words": "paris", "type": "Place", "limit": 5}
    near = graph.explain(entities._NEAR, params).plan
    plans = " ".join([*named, *near])
    assert "Label Scan" not in plans and "All Node Scan" not in plans
    assert "Index Scan" in plans and "ProcedureCall" in plans


def test_an_existing_journal_gets_the_name_indexes_and_is_searchable(db: Server) -> None:
    old = db.select_graph(graph_name(J))  # a journal as an older Charlie left it
    for label, prop in RANGE_INDEXES:
        if (label, prop) != ("Entity", "alias_norms"):
            old.query(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")
    for label, prop in FULLTEXT_INDEXES:
        old.query(f"CALL db.idx.fulltext.createNodeIndex('{label}', '{prop}')")
    old.query(
        "CREATE (:Entity {uuid: 'u-mill', name: 'Mill Lane', norm_name: 'mill lane', "
        "type: 'Place', aliases: ['Mill Rd'], alias_norms: ['mill rd']})"
    )
    graph = select_graph(J)  # ensures the schema, as the first use in a process does
    ensure_schema(graph)  # again: already there is fine
    kinds = {
        (label, prop): set(types)
        for label, _props, by_prop, *_ in graph.query("CALL db.indexes()").result_set
        for prop, types in by_prop.items()
    }
    assert kinds[("Entity", "norm_name")] == {"RANGE", "FULLTEXT"}
    assert kinds[("Entity", "alias_norms")] == {"RANGE"}
    assert names(named_in(J, "Walked down mill rd.")) == ["Mill Lane"]
    assert names(candidates_for(J, "mill lame", "Place")) == ["Mill Lane"]


def test_indexed_candidates_resolve_as_the_whole_journal_would(db: object) -> None:
    """The tiers choose the same entity, and the model is asked the same question, whether
    they see a name's indexed candidates or every entity of the journal."""
    rng = random.Random(7)
    syllables = ("ka", "ri", "mo", "na", "le", "ta", "vi", "so", "pe", "lu", "da", "ne", "an")

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()

    firsts = [word() for _ in range(12)]
    filed = {f"{rng.choice(firsts)} {word()}": "Person" for _ in range(120)}
    filed |= {f"{word()} {rng.choice(['Road', 'Park', 'Lane'])}": "Place" for _ in range(60)}
    read_entry_as("The journal so far.", *filed.items())
    every = known_entities(J)
    asked: dict[str, list[tuple[str, list[str]]]] = {"index": [], "scan": []}

    def asking(way: str) -> Ask:
        def ask(name: str, candidates: list[str]) -> str | None:
            asked[way].append((name, candidates))
            return candidates[-1]

        return ask

    checked = 0
    for name, kind in rng.sample(sorted(filed.items()), 40):
        for written in misspellings(name, rng):
            entity = [Entity(name=written, type=kind)]
            indexed = resolve(entity, partial(candidates_for, J), asking("index"))
            scanned = resolve(entity, lambda norm, kind: every, asking("scan"))
            assert [(m.is_new, m.norm) for m in indexed] == [(m.is_new, m.norm) for m in scanned]
            if not scanned[0].is_new:
                assert indexed[0].uuid == scanned[0].uuid, written
            checked += 1
    assert asked["index"] == asked["scan"]
    assert checked == 280 and len(asked["scan"]) > 20  # the model's tier was exercised


@pytest.mark.parametrize(
    "written", ["42", "x", "ab", "_", "O'Neil-Smith", "Straße", "北京大学", "Émile Zola", "a b c d"]
)
def test_any_name_the_extractor_may_find_is_looked_up_without_error(
    db: object, written: str
) -> None:
    seeded()
    read_entry_as(f"With {written}.", (written, "Person"))
    [mention] = resolve([Entity(name=written, type="Person")], partial(candidates_for, J))
    assert not mention.is_new  # found again by its own name
    assert written in names(named_in(J, f"Later, {written} again."))

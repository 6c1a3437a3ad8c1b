"""Entity resolution's cheap tiers, and when (and only when) the model is asked."""

from __future__ import annotations

import random
from collections.abc import Sequence
from difflib import SequenceMatcher

from charlie_inference import Entity
from charlie_worker.pipeline.resolution import FUZZY_ASK, Candidates, Known, _similar, resolve

PRIYA = Known("u-priya", "Priya Sharma", "priya sharma", "Person")
PARIS = Known("u-paris", "Paris", "paris", "Place")


def journal(*known: Known) -> Candidates:
    """A journal of ``known`` whose every entity is a candidate for every name."""

    def candidates(norm: str, kind: str) -> Sequence[Known]:
        return known

    return candidates


def _never(name: str, candidates: list[str]) -> str | None:
    raise AssertionError(f"the model was asked about {name}")


def test_exact_normalised_name_resolves_without_the_model() -> None:
    [r] = resolve([Entity(name="PRIYA  sharma.", type="Person")], journal(PRIYA, PARIS), _never)
    assert (r.uuid, r.is_new) == ("u-priya", False)


def test_typo_resolves_by_fuzzy_match() -> None:
    [r] = resolve([Entity(name="Priya Sharmma", type="Person")], journal(PRIYA), _never)
    assert r.uuid == "u-priya"


def test_unrelated_name_is_new_without_asking() -> None:
    [r] = resolve([Entity(name="Tom", type="Person")], journal(PRIYA, PARIS), _never)
    assert r.is_new and r.uuid not in {"u-priya", "u-paris"}


def test_ambiguous_name_asks_the_model_and_validates_its_answer() -> None:
    asked: list[tuple[str, list[str]]] = []

    def yes(name: str, candidates: list[str]) -> str | None:
        asked.append((name, candidates))
        return "Priya Sharma"

    [r] = resolve([Entity(name="Priya", type="Person")], journal(PRIYA, PARIS), yes)
    assert asked == [("Priya", ["Priya Sharma"])]
    assert r.uuid == "u-priya"

    def invents(name: str, candidates: list[str]) -> str | None:
        return "Somebody Else"

    [r] = resolve([Entity(name="Priya", type="Person")], journal(PRIYA), invents)
    assert r.is_new


def test_a_word_that_tells_two_names_apart_makes_a_new_entity_without_asking() -> None:
    """Alike as a whole, told apart by a word: a long shared word would otherwise pass the
    typo tier ("bartholomew li" / "bartholomew lu" score 0.93) or ask the model."""
    bank = Known("u-bank", "Halcyon Bank", "halcyon bank", "Organization")
    li = Known("u-li", "Bartholomew Li", "bartholomew li", "Person")
    [books] = resolve([Entity(name="Halcyon Books", type="Organization")], journal(bank), _never)
    [lu] = resolve([Entity(name="Bartholomew Lu", type="Person")], journal(li), _never)
    assert books.is_new and lu.is_new


def test_a_typo_in_the_word_that_differs_still_asks() -> None:
    ortiz = Known("u-ortiz", "Sam Ortiz", "sam ortiz", "Person")
    asked: list[tuple[str, list[str]]] = []

    def yes(name: str, candidates: list[str]) -> str | None:
        asked.append((name, candidates))
        return candidates[0]

    [r] = resolve([Entity(name="Sam Ortez", type="Person")], journal(ortiz), yes)
    [s] = resolve([Entity(name="Sam Otriz", type="Person")], journal(ortiz), yes)
    assert asked == [("Sam Ortez", ["Sam Ortiz"]), ("Sam Otriz", ["Sam Ortiz"])]
    assert r.uuid == s.uuid == "u-ortiz"


def test_same_new_name_twice_in_one_batch_is_one_entity() -> None:
    a, b = resolve(
        [Entity(name="Sam", type="Person"), Entity(name="sam", type="Person")], journal(), _never
    )
    assert a.uuid == b.uuid and a.is_new and not b.is_new


def test_an_alias_resolves_to_its_entity_without_the_model() -> None:
    merged = Known("u-priya", "Priya Sharma", "priya sharma", "Person", ("Pri",), ("pri",))
    [r] = resolve([Entity(name="PRI", type="Person")], journal(merged, PARIS), _never)
    assert (r.uuid, r.name, r.norm, r.is_new) == ("u-priya", "PRI", "priya sharma", False)


def test_the_quick_similarity_decides_every_tier_as_the_full_comparison_would() -> None:
    """``_similar`` skips the full comparison only where its upper bound is below FUZZY_ASK:
    every score a tier compares with a threshold is the full one."""
    rng = random.Random(3)
    letters = "aeiklmnorst "
    names = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 14))) for _ in range(300)]
    sides = {"at or above": 0, "below": 0}
    for a, b in zip(names, rng.sample(names, len(names)), strict=True):
        for other in (b, a[: len(a) // 2] + b[len(b) // 2 :], a.replace("a", "e", 1)):
            full = SequenceMatcher(None, a, other).ratio()
            quick = _similar(a, other)
            if full >= FUZZY_ASK:
                assert quick == full
                sides["at or above"] += 1
            else:
                assert quick < FUZZY_ASK
                sides["below"] += 1
    assert min(sides.values()) > 100  # both sides of the threshold were exercised


def test_a_person_named_more_fully_than_the_journal_does_is_marked_fuller() -> None:
    """ "Oskar Berg" matched to "Oskar" (by the model) is Oskar's fuller name; a place or an
    organisation named with more words is a part or a neighbour, never a fuller name."""
    oskar = Known("u-oskar", "Oskar", "oskar", "Person")
    brighton = Known("u-brighton", "Brighton", "brighton", "Place")

    def yes(name: str, candidates: list[str]) -> str | None:
        return candidates[0]

    [berg] = resolve([Entity(name="Oskar Berg", type="Person")], journal(oskar), yes)
    [pier] = resolve([Entity(name="Brighton Pier", type="Place")], journal(brighton), yes)
    assert (berg.uuid, berg.name, berg.norm, berg.fuller) == (
        "u-oskar",
        "Oskar Berg",
        "oskar",
        True,
    )
    assert pier.uuid == "u-brighton" and not pier.fuller


def test_a_name_the_person_already_has_is_never_fuller() -> None:
    """The user renamed "Oskar Berg" to "Oskar": "Oskar Berg" is an alias, and names him
    without taking his name back; nor is a short form or a typo fuller."""
    renamed = Known("u-oskar", "Oskar", "oskar", "Person", ("Oskar Berg",), ("oskar berg",))
    [alias] = resolve([Entity(name="Oskar Berg", type="Person")], journal(renamed), _never)
    [typo] = resolve([Entity(name="Priya Sharmma", type="Person")], journal(PRIYA), _never)
    [short] = resolve([Entity(name="Priya", type="Person")], journal(PRIYA), lambda n, c: c[0])
    assert alias.uuid == "u-oskar" and typo.uuid == short.uuid == "u-priya"
    assert not (alias.fuller or typo.fuller or short.fuller)

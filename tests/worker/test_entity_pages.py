"""The entity page, the browser's pages, an entry's highlights, and the ``Curation`` door the
app reaches them through, on the real embedded graph."""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import partial
from unittest import mock

import pytest

from charlie_inference import Entity
from charlie_worker import CorrectionError, Journal, JournalClosedError
from charlie_worker.pipeline.resolution import resolve
from charlie_worker.settings import DEFAULT_JOURNAL as J
from charlie_worker.store import entries
from charlie_worker.store.entities import (
    Mention,
    candidates_for,
    file_mentions,
    known_entities,
)
from charlie_worker.store.entity_pages import entity_page, find_entities, highlights
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.quotes import Quote, name_spans, name_words, quotes
from kit.seeds import read_entry_as


def on_day(day: int) -> AbstractContextManager[object]:
    """Entries saved meanwhile are saved on day ``day`` (a later day is newer)."""
    return mock.patch.object(entries, "time", mock.Mock(time=lambda: 1_700_000_000 + day * 86400))


def at(day: int, text: str, *entities: tuple[str, str]) -> str:
    """An entry saved on day ``day``, read as naming ``entities``."""
    with on_day(day):
        return read_entry_as(text, *entities)


def uuid_of(name: str) -> str:
    return next(k.uuid for k in known_entities(J) if k.name == name)


@pytest.fixture
def seeded(db: object) -> dict[str, str]:
    return {
        "old": at(
            1, "Met Sarah in Lisbon. Lisbon was hot.", ("Sarah", "Person"), ("Lisbon", "Place")
        ),
        "mid": at(
            2,
            "Sarah and Tom at Acme Corp.\nLater, Sarah went home.",
            ("Sarah", "Person"),
            ("Tom", "Person"),
            ("Acme Corp", "Organization"),
        ),
        "new": at(
            3,
            "Dinner with Tom and Sarah in Lisbon.",
            ("Tom", "Person"),
            ("Sarah", "Person"),
            ("Lisbon", "Place"),
        ),
    }


def test_quotes_mark_every_name_in_each_sentence_that_has_one() -> None:
    text = "Met Priya Sharma today. Nothing else.\npriya's cat! Priyanka is someone else."
    found = quotes(text, ["Priya", "Priya Sharma"])
    assert [(q.text, [q.text[s:e] for s, e in q.marks]) for q in found] == [
        ("Met Priya Sharma today.", ["Priya Sharma"]),
        ("priya's cat!", ["priya"]),
    ]


def test_a_long_sentence_is_cut_around_its_first_mention() -> None:
    text = "word " * 100 + "Sarah " + "more " * 100
    [quote] = quotes(text, ["Sarah"])
    assert quote.text.startswith("…") and quote.text.endswith("…")
    [(start, end)] = quote.marks
    assert quote.text[start:end] == "Sarah"


def test_names_are_matched_as_whole_words_across_spacing() -> None:
    assert name_spans("Elm  Street and Elmstreet", ["Elm Street"]) == [(0, 11)]
    assert name_spans("anything", ["", "  "]) == []


def test_the_page_quotes_every_mention_newest_entry_first(seeded) -> None:
    page = entity_page(J, uuid_of("Sarah"))
    assert page is not None and page.entity.name == "Sarah"
    assert page.entries == 3
    assert [(q.entry_uuid, q.quote.text) for q in page.quotes] == [
        (seeded["new"], "Dinner with Tom and Sarah in Lisbon."),
        (seeded["mid"], "Sarah and Tom at Acme Corp."),
        (seeded["mid"], "Later, Sarah went home."),
        (seeded["old"], "Met Sarah in Lisbon."),
    ]
    assert page.first is not None and page.last is not None and page.first < page.last
    assert page.first == page.quotes[-1].when and page.last == page.quotes[0].when
    assert [(r.entity.name, r.together) for r in page.related] == [
        ("Lisbon", 2),
        ("Tom", 2),
        ("Acme Corp", 1),
    ]


def test_the_page_quotes_aliases_and_a_nameless_entry_by_its_first_line(seeded) -> None:
    journal = Journal(J)
    journal.open()
    tom = uuid_of("Tom")
    journal.curation.rename(tom, "Thomas")
    page = journal.curation.page(tom)
    assert page is not None and page.aliases == ("Tom",)
    assert page.quotes[0].quote == Quote("Dinner with Tom and Sarah in Lisbon.", ((12, 15),))
    at(4, "A quiet day.", ("Thomas", "Person"))
    page = journal.curation.page(tom)
    assert page.quotes[0].quote == Quote("A quiet day.", ())
    assert journal.curation.page("gone") is None


def test_the_browser_filters_by_name_or_alias_and_pages_through_all(seeded) -> None:
    everyone = find_entities(J)
    assert [e.name for e in everyone.entities] == ["Sarah", "Tom", "Lisbon", "Acme Corp"]
    assert everyone.total == 4
    assert [e.name for e in find_entities(J, "LIS").entities] == ["Lisbon"]
    page = find_entities(J, "", offset=1, limit=2)
    assert [e.name for e in page.entities] == ["Tom", "Lisbon"] and page.total == 4
    from charlie_worker.store import corrections

    corrections.merge(J, uuid_of("Sarah"), [uuid_of("Tom")])
    assert [e.name for e in find_entities(J, "tom").entities] == ["Sarah"]


def test_highlights_mark_each_entity_where_the_entry_names_it(seeded) -> None:
    found = highlights(J, seeded["mid"])
    text = "Sarah and Tom at Acme Corp.\nLater, Sarah went home."
    assert [(text[h.start : h.end], h.entity.type) for h in found] == [
        ("Sarah", "Person"),
        ("Tom", "Person"),
        ("Acme Corp", "Organization"),
        ("Sarah", "Person"),
    ]
    assert highlights(J, "gone") == []


def read_with_answers(day: int, text: str, *entities: tuple[str, str]) -> str:
    """``at``, the model's tier answering each question with the first candidate: a surname
    or first name resolved to the person named in full."""
    with on_day(day):
        entry = entries.add_entry(text, J)
    found = [Entity(name=name, type=kind) for name, kind in entities]
    ask = lambda name, candidates: candidates[0]  # noqa: E731
    file_mentions(entry, J, resolve(found, partial(candidates_for, J), ask))
    return entry


def test_a_person_named_another_way_is_quoted_and_marked_where_the_entry_says_it(db) -> None:
    at(1, "Met Dana Whitfield at the market.", ("Dana Whitfield", "Person"))
    lunch = read_with_answers(
        2, "Long day. Lunch with Whitfield and Dana, who was late.", ("Whitfield", "Person")
    )
    photos = read_with_answers(3, "Dana sent the photos.", ("Dana", "Person"))
    read_with_answers(4, "Whitfield again, about the photos.", ("Whitfield", "Person"))
    [dana] = known_entities(J)
    assert (dana.name, dana.aliases) == ("Dana Whitfield", ())  # never matched by: no alias
    page = entity_page(J, dana.uuid)
    assert page is not None and page.entries == 4
    quoted = {q.entry_uuid: q.quote for q in page.quotes}
    text = "Lunch with Whitfield and Dana, who was late."
    assert quoted[lunch] == Quote(text, ((11, 20), (25, 29)))
    assert quoted[photos] == Quote("Dana sent the photos.", ((0, 4),))
    found = highlights(J, lunch)
    assert [(h.start, h.end, h.entity.name) for h in found] == [
        (21, 30, "Dana Whitfield"),
        (35, 39, "Dana Whitfield"),
    ]
    assert select_graph(J).ro_query("MATCH (n:Entity) RETURN n.written_as").result_set == [
        [["Whitfield", "Dana"]]
    ]  # each way once, however many entries use it


def test_an_entry_read_before_written_as_is_quoted_by_a_word_of_the_name(db) -> None:
    """Filed as it was before ``written_as``: linked to Dana Whitfield, no other name kept."""
    at(1, "Met Dana Whitfield at the market.", ("Dana Whitfield", "Person"))
    [dana] = known_entities(J)
    old = entries.add_entry("Long day. Whitfield called about dinner.", J)
    file_mentions(old, J, [Mention(dana.name, dana.type, dana.uuid, dana.norm, is_new=False)])
    page = entity_page(J, dana.uuid)
    assert page is not None
    assert {q.entry_uuid: q.quote for q in page.quotes}[old] == Quote(
        "Whitfield called about dinner.", ((0, 9),)
    )
    assert [(h.start, h.end) for h in highlights(J, old)] == [(10, 19)]
    assert name_words(["Dr. Ngozi Eze", "Jo"]) == ["Ngozi", "Eze"]


def test_curation_refuses_once_the_journal_is_closed(seeded) -> None:
    journal = Journal(J)
    journal.open()
    curation = journal.curation
    with pytest.raises(CorrectionError):
        curation.rename(uuid_of("Sarah"), "")
    journal.close()
    with pytest.raises(JournalClosedError):
        curation.find()

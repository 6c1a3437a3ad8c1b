"""Candidate names come from the text, deterministically: the issue's trap sentences."""

from __future__ import annotations

import pytest

from charlie_inference.programs.candidates import Candidate, find_candidates


def names(text: str, known: dict[str, str | None] | None = None) -> list[str]:
    return [c.name for c in find_candidates(text, known)]


def by_name(text: str, known: dict[str, str | None] | None = None) -> dict[str, Candidate]:
    return {c.name: c for c in find_candidates(text, known)}


def test_no_sentence_is_a_name_and_common_words_are_stripped() -> None:
    text = "Quiet day. Read Piranesi by Susanna Clarke on the train to work."
    assert names(text) == ["Piranesi", "Susanna Clarke"]
    assert names("Team offsite at the Asilomar conference grounds") == ["Asilomar"]
    assert names("Texted Mom.") == ["Mom"]
    assert names("Standup ran long. Retro ran over too.") == []  # meetings, though they "ran"


def test_weekdays_months_and_pronouns_are_not_candidates() -> None:
    assert names("Monday. Lunch with Priya and Sarah in March.") == ["Priya", "Sarah"]
    assert names("I told Her that It was fine. They said We could go on Friday.") == []
    assert names("May was warm. See you in June!") == []


def test_titles_and_kinship_words_make_people() -> None:
    found = by_name("Long call with Mom and Uncle Femi about Christmas in Lagos")
    assert list(found) == ["Mom", "Uncle Femi", "Lagos"]  # Christmas: a holiday, its own test
    assert found["Mom"].type == found["Uncle Femi"].type == "Person"
    assert found["Lagos"].type is None  # for the model
    found = by_name("Physio with Dr. Okafor, then coffee with Aunt May and Grandma.")
    assert found["Dr. Okafor"].type == "Person"
    assert found["Aunt May"].type == "Person"  # a name here, not the month
    assert found["Grandma"].source == "kin"


def test_spans_hold_connectors_possessives_and_head_nouns() -> None:
    text = "Opened an account at Bank of America near St. Mary's Hospital on Mill Road."
    found = by_name(text)
    assert list(found) == ["Bank of America", "St. Mary's Hospital", "Mill Road"]
    assert found["St. Mary's Hospital"].type == found["Mill Road"].type == "Place"
    assert by_name("Interview at Halcyon Bank.")["Halcyon Bank"].type == "Organization"
    assert names("Dad's 70th birthday at the Golden Dragon.") == ["Dad", "Golden Dragon"]
    assert names("Hiked up Arthur's Seat with Fiona.") == ["Arthur's Seat", "Fiona"]


def test_an_entry_naming_nothing_has_no_candidates() -> None:
    for text in (
        "Nothing much happened today. Worked, ate, scrolled, slept.",
        "Couldn't sleep. Made tea at 3am and watched the rain.",
        "my sister called, crying about the divorce.",
        "Running late. Ran to the station; running is hard.",
        "",
    ):
        assert names(text) == [], text


def test_known_names_match_whole_words_case_insensitively() -> None:
    known = {"Jess": "Person", "Ben Okoro": "Person", "Lagos": None}
    found = by_name("dinner at jess's place with ben okoro; Jessica came too, then lagos", known)
    assert list(found) == ["Jess", "Ben Okoro", "Jessica", "Lagos"]
    assert found["Jess"].source == "known" and found["Jess"].type == "Person"
    assert found["Lagos"].source == "known" and found["Lagos"].type is None
    # a known name wins over the span that holds it, but for a person named more fully
    assert names("Lunch with Uncle Femi.", {"Femi": "Person"}) == ["Femi"]
    assert names("Walked to London Bridge.", {"London": "Place"}) == ["London"]
    fuller = by_name("Dinner with Oskar Berg; Oskar's review.", {"Oskar": "Person"})
    assert list(fuller) == ["Oskar Berg", "Oskar"]
    assert (fuller["Oskar Berg"].source, fuller["Oskar Berg"].type) == ("span", "Person")
    assert names("Met Oskar Berg.", {"Berg": "Person"}) == ["Oskar Berg"]


@pytest.mark.parametrize("text", ["I", "A", "OK. Fine.", "Got a B."])
def test_single_letters_and_filler_are_not_candidates(text: str) -> None:
    assert names(text) == []


def test_the_model_is_not_asked_about_shouting_hashtags_or_bare_sentence_starts() -> None:
    from charlie_inference.programs.candidates import worth_asking

    def asked(text: str) -> list[str]:
        return [c.name for c in find_candidates(text) if worth_asking(text, c)]

    assert asked("Whoo who ready for the game? Sam is.") == []  # "Sam is": no cue either
    assert asked("waiting was a STUPID IDEA, now we pay for it. CELEBRATE with Zorba") == ["Zorba"]
    assert asked("so tired of this #TimeToGetOut vibe at Zorba") == ["Zorba"]
    # title-case text: capitals say little there
    assert asked("Come Out And Support Raw Illest And Storm At The Whiskey Tonight") == []
    # a known name is always asked about
    known = {"Sam": None}
    assert [
        c.name for c in find_candidates("Sam is here.", known) if worth_asking("Sam is here.", c)
    ] == ["Sam"]


def test_a_short_entry_with_several_names_is_not_taken_for_a_headline() -> None:
    """Names and sentence starts do not make a headline: the model is asked about Sarah
    (Priya has a cue, Mom is a kinship word)."""
    from charlie_inference.programs.entity_extractor import asked_candidates

    text = "Lunch with Priya and Sarah. Texted Mom afterwards."
    assert [c.name for c in asked_candidates(text)] == ["Sarah"]


def test_context_cues_type_without_the_model() -> None:
    from charlie_inference.programs.entity_extractor import typed_candidates

    text = "Read Piranesi by Susanna Clarke. Flew to Nairobi with Wanjiru and Sam."
    typed = {c.name: c.type for c in typed_candidates(text)}
    assert typed == {
        "Piranesi": None,  # a book or a person: the model's call
        "Susanna Clarke": "Person",
        "Nairobi": "Place",
        "Wanjiru": "Person",
        "Sam": None,
    }


def test_organisations_a_journal_names_often_are_typed_by_name() -> None:
    """Wherever they stand and whatever the words around them; other names are the model's."""
    from charlie_inference.programs.entity_extractor import typed_candidates

    text = (
        "Hannah starts at Google next month. Paid the NHS and British Gas, then watched Gogglebox."
    )
    typed = {c.name: c.type for c in typed_candidates(text)}
    assert typed["Google"] == typed["NHS"] == typed["British Gas"] == "Organization"
    assert typed["Gogglebox"] is None  # the model's call


def test_an_organisations_apostrophe_or_ampersand_is_part_of_its_name() -> None:
    """ "Sainsbury's" is a shop and "Marks & Spencer" one organisation; "Tom's" is Tom and
    "Tom & Priya" two people, as before."""
    from charlie_inference.programs.entity_extractor import typed_candidates

    text = (
        "Milk from Sainsbury's, then lunch at McDonald\u2019s with Tom. Socks at Marks & Spencer, "
        "shirts at Marks and Spencer. Tom's car broke down. Tom & Priya came over."
    )
    typed = {c.name: c.type for c in typed_candidates(text)}
    assert typed == {
        "Sainsbury's": "Organization",
        "McDonald\u2019s": "Organization",
        "Tom": "Person",
        "Marks & Spencer": "Organization",
        "Marks and Spencer": "Organization",
        "Priya": "Person",
    }


def test_a_holiday_is_no_name_but_a_name_with_one_in_it_is() -> None:
    """ "Home for Christmas" filed Christmas as a person (journal train split)."""
    text = (
        "Home for Christmas with Mum. New Year's Eve in Lisbon, Boxing Day walk, then the "
        "Christmas Market with Eve. Easter Island one day."
    )
    assert names(text) == ["Mum", "Lisbon", "Christmas Market", "Eve", "Easter Island"]

"""The entity matcher sees the sentences that mention the name, so a long entry cannot overflow
it and costs a question no more than those sentences do; on the real model it answers its
labelled check set with a candidate or none, not none to all."""

from __future__ import annotations

import json

import dspy
import pytest

from charlie_inference import DspyLM, EntityMatcher
from charlie_inference.engine import to_chat_messages
from charlie_inference.programs.entity_matcher import (
    HAND_DEMOS,
    NO_MATCH,
    WINDOW_CHARS,
    around_mention,
    first_or_last_name_of_one,
    mention_window,
    named_in_full,
)
from charlie_inference.programs.sentences import sentences_of
from kit.fake_lm import ScriptedLM
from kit.matcher_cases import matcher_cases

FILLER = "The rain kept on and the kettle sang and nothing at all happened for hours. "


SARAH = "Then Sarah from the climbing gym called about Saturday."
LONG_ENTRY = FILLER * 60 + SARAH + " " + FILLER * 60


def test_a_short_entry_is_shown_whole() -> None:
    assert mention_window("Met Sarah at the cafe.", "Sarah") == "Met Sarah at the cafe."


def test_the_window_is_the_sentences_that_mention_the_name() -> None:
    entry = "Jonas sent the slides. I fixed the charts.\n\nLater JONAS called about them."
    assert mention_window(entry, "Jonas") == "Jonas sent the slides. Later JONAS called about them."
    assert mention_window(LONG_ENTRY, "sarah") == SARAH


def test_a_sentence_holding_the_name_inside_a_word_is_left_out() -> None:
    entry = "Sam fixed the bike. The same old rain. Samantha waved."
    assert mention_window(entry, "Sam") == "Sam fixed the bike."


def test_a_title_s_period_does_not_end_a_sentence() -> None:
    entry = "Saw Dr. Okafor at St. Mary's. The rain kept on. Mr. Li waved!"
    assert sentences_of(entry) == [
        "Saw Dr. Okafor at St. Mary's.",
        "The rain kept on.",
        "Mr. Li waved!",
    ]
    assert mention_window(entry, "Okafor") == "Saw Dr. Okafor at St. Mary's."


def test_sentences_longer_than_the_window_are_cut_around_the_name() -> None:
    entry = FILLER.replace(". ", ", ") * 20 + "then Sarah called. " + FILLER
    window = mention_window(entry, "Sarah")
    assert window == around_mention(entry, "Sarah")
    assert "Sarah called." in window and len(window) <= WINDOW_CHARS + 4


def test_a_name_not_written_so_in_any_sentence_is_looked_for_around_the_start() -> None:
    entry = "Sarah J. called. " + FILLER * 40
    assert mention_window(entry, "Sarah  Jones") == around_mention(entry, "Sarah  Jones")


def test_a_long_text_is_cut_around_the_name_at_word_boundaries() -> None:
    window = around_mention(LONG_ENTRY, "sarah")
    assert "Sarah from the climbing gym" in window
    assert len(window) <= WINDOW_CHARS + 4  # the two "…" marks
    assert window.startswith("… ") and window.endswith(" …")
    body = window.removeprefix("… ").removesuffix(" …")
    assert f" {body} " in f" {LONG_ENTRY} "  # whole words, in order


def test_a_name_near_an_end_keeps_that_end() -> None:
    entry = "Sarah called. " + FILLER * 40
    window = around_mention(entry, "Sarah")
    assert window.startswith("Sarah called.") and window.endswith(" …")


def test_the_prompt_holds_the_window_not_the_entry() -> None:
    lm = ScriptedLM(lambda prompt: json.dumps({"match": "Sarah Jones"}))
    with dspy.context(lm=lm):
        found = EntityMatcher()(name="Sarah", entry=LONG_ENTRY, candidates=["Sarah Jones"])
    text = to_chat_messages(lm.scripted.requests[0])[-1]["content"]
    assert found.match == "Sarah Jones"
    assert f"entry: {SARAH}\n" in text
    assert "kettle sang" not in text  # the entry repeats it 120 times


def asked(*questions: tuple[str, str, list[str]]) -> list[list[dict[str, str]]]:
    """The chat messages of each ``(name, entry, candidates)`` question the matcher sends."""
    lm = ScriptedLM(lambda prompt: json.dumps({"match": NO_MATCH}))
    with dspy.context(lm=lm):
        for name, entry, candidates in questions:
            EntityMatcher()(name=name, entry=entry, candidates=candidates)
    return [to_chat_messages(request) for request in lm.scripted.requests]


def test_the_request_is_compact_and_names_each_candidate_once() -> None:
    """No DSPy field headers, and no reminder that repeats the candidates as the answer's type:
    the answer's choices are the grammar's; the demos are written the same way."""
    [messages] = asked(("Sam", "Sam and I watched the match.", ["Sam Lee", "Sam Ortiz"]))
    request = messages[-1]["content"]
    assert request.splitlines() == [
        "name: Sam",
        "entry: Sam and I watched the match.",
        'candidates: ["Sam Lee", "Sam Ortiz"]',
        "Respond with a JSON object: `match`.",
    ]
    assert not any("[[ ##" in m["content"] for m in messages)
    assert [m["content"] for m in messages if m["role"] == "assistant"] == [
        json.dumps({"match": demo.match}) for demo in HAND_DEMOS
    ]


def test_every_question_starts_with_the_same_instructions_and_demos() -> None:
    """Only the request changes: the prefix llama.cpp keeps (and the prompt cache saves)."""
    first, second = asked(
        ("Sam", "Sam and I watched the match.", ["Sam Lee", "Sam Ortiz"]),
        ("Lena", "Lena's birthday party was loud and fun.", ["Elena"]),
    )
    assert first[:-1] == second[:-1]
    assert [m["role"] for m in first] == ["system", *["user", "assistant"] * 2, "user"]
    assert not any("Sam" in m["content"] or "Elena" in m["content"] for m in first[:-1])


def test_the_one_candidate_the_entry_names_in_full_is_the_answer_without_a_model() -> None:
    entry = "Sam Ortiz came over for dinner. Later Sam and I watched the match."
    candidates = ["Sam Lee", "Sam Ortiz"]
    assert not EntityMatcher.needs_model("Sam", entry, candidates)
    with dspy.context(lm=None):  # no model to ask
        assert EntityMatcher()(name="Sam", entry=entry, candidates=candidates).match == "Sam Ortiz"


def test_no_candidate_or_several_named_in_full_leave_the_question_to_the_model() -> None:
    assert named_in_full("Sam and I watched the match.", ["Sam Lee", "Sam Ortiz"]) is None
    assert named_in_full("Sam Lee met Sam Ortiz; Sam paid.", ["Sam Lee", "Sam Ortiz"]) is None
    assert named_in_full("Dinner with Sam Leeds.", ["Sam Lee"]) is None  # whole words only
    assert named_in_full("dinner with SAM LEE.", ["Sam Lee"]) == "Sam Lee"
    assert EntityMatcher.needs_model(
        "Sam", "Sam and I watched the match.", ["Sam Lee", "Sam Ortiz"]
    )


def test_the_first_name_or_surname_of_one_known_person_is_that_person() -> None:
    """ "Amara called later." after "Amara Okafor": the model answered "none" to that short a
    sentence and a second Amara was filed ("Whitfield called about dinner." after "Dana
    Whitfield" the same). A cue that the name is a person's, and one known person with that
    first name or surname, decide it without the model."""
    known = ["Amara Okafor"]
    for name, entry in [
        ("Amara", "Jonas came too. Amara called later."),
        ("Amara", "Lunch with amara today."),
        ("Amara", "Met Amara."),
        ("Okafor", "Okafor called about the billing dashboard."),
        ("Okafor", "Lunch with Okafor and Jonas."),
    ]:
        assert first_or_last_name_of_one(name, entry, known) == "Amara Okafor", entry
        assert not EntityMatcher.needs_model(name, entry, known)
    with dspy.context(lm=None):  # no model to ask
        answer = EntityMatcher()(name="Amara", entry="Amara called later.", candidates=known)
    assert answer.match == "Amara Okafor"


def test_the_first_or_last_name_rule_leaves_the_rest_to_the_model() -> None:
    ask = [
        ("Amara", "The dashboard is Amara's now.", ["Amara Okafor"]),  # nothing says a person
        ("Okafor", "Okafor and Becker sent the slides.", ["Amara Okafor"]),  # nor here
        ("Jordan", "Flew to Jordan for the wedding.", ["Jordan Ellis"]),  # a place's cue
        ("Amara", "Amara called later.", ["Amara Okafor", "Amara Nwosu"]),  # two of them
        ("Amara", "Amara called later.", ["Amara Okafor", "Jonas Amara"]),  # the word twice
        ("Lee", "Lee called later.", ["Anna Lee Park"]),  # a middle name
        ("Amara O", "Amara O called later.", ["Amara Okafor"]),  # not one word
    ]
    for name, entry, candidates in ask:
        assert first_or_last_name_of_one(name, entry, candidates) is None, (name, entry)
        assert EntityMatcher.needs_model(name, entry, candidates), (name, entry)


@pytest.mark.slow
def test_real_model_matches_in_an_entry_longer_than_its_context(lm: DspyLM) -> None:
    """About 9,000 characters: the whole entry would overflow the default 2,048-token context.
    Asked about it, the model reads what it reads for Sarah's sentence alone, no more."""
    with dspy.context(lm=lm):
        found = EntityMatcher()(name="Sarah", entry=LONG_ENTRY, candidates=["Sarah Jones"])
        alone = EntityMatcher()(name="Sarah", entry=SARAH, candidates=["Sarah Jones"])
    long_call, sentence_call = lm.history[-2:]
    assert found.match in {"Sarah Jones", None}
    assert found.match == alone.match
    assert long_call["usage"]["prompt_tokens"] == sentence_call["usage"]["prompt_tokens"] < 300


def test_the_check_set_is_labelled_with_its_own_candidates() -> None:
    cases = matcher_cases()
    assert len({case["id"] for case in cases}) == len(cases) >= 20
    for case in cases:
        assert case["name"].lower() in case["entry"].lower()
        assert case["match"] is None or case["match"] in case["candidates"]
    assert {case["match"] is None for case in cases} == {True, False}


@pytest.mark.slow
def test_real_model_answers_the_check_set_with_its_candidates(lm: DspyLM) -> None:
    """The check set's accuracy is ``bench/matcher_accuracy.py``'s figure; here, that every
    answer is a candidate or none, and not "none" to every case (a compact prompt did that)."""
    cases = matcher_cases()
    matcher = EntityMatcher()
    with dspy.context(lm=lm):
        answers = [
            matcher(name=c["name"], entry=c["entry"], candidates=c["candidates"]).match
            for c in cases
        ]
    assert all(a is None or a in c["candidates"] for a, c in zip(answers, cases, strict=True))
    assert any(a is not None for a in answers)

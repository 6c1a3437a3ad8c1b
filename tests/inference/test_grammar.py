"""Grammar sampling: the grammar for a response format, and on the real model the same output
as llama-cpp-python's own grammar sampling, valid against the schema, by every check path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

import pytest
from llama_cpp import Llama
from llama_cpp.llama_grammar import JSON_GBNF
from pydantic import BaseModel, Field

from charlie_inference import ModelSettings, load_model
from charlie_inference.grammar import GrammarGreedy, gbnf_for, grammar_sampling
from charlie_inference.programs.entity_extractor import answer_model


def test_a_schema_becomes_its_gbnf_once() -> None:
    schema = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}}, "required": ["a"]}
    gbnf = gbnf_for({"type": "json_object", "schema": schema})
    assert gbnf is not None and '"\\"x\\""' in gbnf and "root ::=" in gbnf
    # The same schema again is the cached conversion, not a new one.
    assert gbnf_for({"type": "json_object", "schema": dict(schema)}) is gbnf


def test_json_without_a_schema_and_an_unsupported_schema_get_the_json_grammar() -> None:
    assert gbnf_for({"type": "json_object"}) == JSON_GBNF
    # llama-cpp-python's converter rejects this; its chat handler falls back to JSON too.
    assert gbnf_for({"type": "json_object", "schema": {"type": "frobnicate"}}) == JSON_GBNF


def test_no_response_format_means_no_grammar() -> None:
    assert gbnf_for(None) is None
    assert gbnf_for({"type": "text"}) is None


class Mood(BaseModel):
    mood: Literal["happy", "sad", "tired"]
    reason: Annotated[str, Field(max_length=40)]


class Names(BaseModel):
    names: Annotated[list[str], Field(max_length=3)]


CANDIDATES = ["Priya", "Mill Road", "Stripe", "Dublin", "Tired"]
CASES: list[tuple[str, type[BaseModel]]] = [
    ("Sprint review with Priya on Mill Road. Stripe joined from Dublin. Tired.", Mood),
    ("Walked to Soho with Marcus and Jane for dim sum.", Names),
    (
        f"Journal: Sprint review with Priya on Mill Road. Stripe joined from Dublin. Tired. "
        f"Say what each of {CANDIDATES} is.",
        answer_model(CANDIDATES),
    ),
]


@pytest.fixture(scope="module")
def llama() -> Iterator[Llama]:
    model = load_model(ModelSettings())
    yield model
    model.close()


def _complete(llama: Llama, text: str, model: type[BaseModel], **kwargs: Any) -> str:
    llama.reset()
    result = llama.create_chat_completion(
        messages=[{"role": "user", "content": f"{text}\nAnswer in JSON."}],
        max_tokens=96,
        repeat_penalty=1.1,
        **kwargs,
    )
    return result["choices"][0]["message"]["content"]


def _response_format(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "json_object", "schema": model.model_json_schema()}


def test_greedy_output_is_llama_cpp_pythons_and_valid(llama: Llama) -> None:
    checks: dict[str, int] = {}
    for text, model in CASES:
        reference = _complete(
            llama, text, model, temperature=0.0, response_format=_response_format(model)
        )
        with grammar_sampling(llama, gbnf_for(_response_format(model)) or ""):
            fast = _complete(llama, text, model, temperature=0.0)
        for check, n in llama._sampler.charlie_grammar.checks.items():
            checks[check] = checks.get(check, 0) + n
        assert fast == reference
        model.model_validate_json(fast)
    # Each path ran: the best token allowed, one of the shortlist, only the whole vocabulary.
    assert all(checks.get(check, 0) > 0 for check in ("best", "shortlist", "vocabulary")), checks


def test_sampling_with_a_temperature_keeps_the_grammar(llama: Llama) -> None:
    text, model = CASES[2]
    with grammar_sampling(llama, gbnf_for(_response_format(model)) or ""):
        answer = _complete(llama, text, model, temperature=0.8, seed=7)
    assert not hasattr(llama._sampler, "charlie_grammar")  # llama-cpp-python's own chain
    parsed = model.model_validate_json(answer)
    assert list(parsed.model_dump()) == CANDIDATES


def test_the_model_is_itself_again_after_the_block(llama: Llama) -> None:
    text, model = CASES[0]
    with pytest.raises(RuntimeError), grammar_sampling(llama, JSON_GBNF):
        raise RuntimeError("the call failed")
    assert "_init_sampler" not in vars(llama)
    _complete(llama, text, model, temperature=0.0)
    assert not hasattr(llama._sampler, "charlie_grammar")


def test_ctrl_c_while_picking_a_token_is_raised_after_the_call(
    llama: Llama, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KeyboardInterrupt cannot cross llama.cpp; the call ends under the grammar, then it is
    raised (charlie-optimize saves its progress on it)."""
    text, model = CASES[2]
    reference = _complete(
        llama, text, model, temperature=0.0, response_format=_response_format(model)
    )
    picked = GrammarGreedy._pick
    calls = 0

    def interrupted_once(self: GrammarGreedy, cur_p: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        picked(self, cur_p)

    monkeypatch.setattr(GrammarGreedy, "_pick", interrupted_once)
    answers = []
    with (
        pytest.raises(KeyboardInterrupt),
        grammar_sampling(llama, gbnf_for(_response_format(model)) or ""),
    ):
        answers.append(_complete(llama, text, model, temperature=0.0))
    assert answers == [reference]

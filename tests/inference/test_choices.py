"""Answers decoded at their choices only: which schemas qualify, the picks on a scripted model,
and the real model's answers, calls and KV cache."""

from __future__ import annotations

import ctypes
import json
from collections.abc import Iterator
from typing import Any, Literal

import dspy
import llama_cpp
import numpy as np
import pytest
from pydantic import BaseModel

from charlie_inference import DspyLM, ModelSettings, choices, load_model
from charlie_inference.choices import (
    Template,
    Vocabulary,
    answer_template,
    choice_decoding,
    decode_choices,
    token_spellings,
)
from charlie_inference.grammar import gbnf_for
from charlie_inference.programs.entity_extractor import EntityExtractor, answer_model
from kit.llama_calls import counted_evals


def _outputs_schema(**fields: Any) -> dict[str, Any]:
    """A schema as DSPy's JSON adapter sends it: the outputs object, nested models in $defs."""
    model = type(
        "Out", (BaseModel,), {"__annotations__": fields, "model_config": {"extra": "forbid"}}
    )
    return model.model_json_schema()


def test_the_extractors_answer_is_literal_text_and_one_choice_a_candidate() -> None:
    schema = _outputs_schema(types=answer_model(["Sam", "Nando's"]))
    kinds = ("None", "Person", "Place", "Organization", "Thing")
    assert answer_template(schema) == Template(
        literals=('{"types": {"Sam": "', '", "Nando\'s": "', '"}}'), choices=(kinds, kinds)
    )


def test_a_matchers_answer_and_its_text() -> None:
    template = answer_template(_outputs_schema(match=Literal["Sam Lee", "none"]))
    assert template == Template(('{"match": "', '"}'), (("Sam Lee", "none"),))
    assert json.loads(template.text(["Sam Lee"])) == {"match": "Sam Lee"}


def test_an_answer_with_any_freedom_besides_choices_is_left_to_the_grammar() -> None:
    class Open(BaseModel):  # extra keys allowed: the keys are not fixed text
        a: Literal["x", "y"]

    assert answer_template(_outputs_schema(reason=str)) is None
    assert answer_template(_outputs_schema(count=int)) is None
    assert answer_template(_outputs_schema(names=list[str])) is None
    assert answer_template(Open.model_json_schema()) is None
    assert answer_template(_outputs_schema(fixed=Literal["only"])) is None  # nothing to choose
    assert answer_template(None) is None


class ScriptedLlama:
    """Bytes are tokens (ids 0..255) plus a few longer spellings; logits come from a script:
    ``prefer[text]`` is the score of a token spelling ``text`` at every position."""

    def __init__(self, prefer: dict[bytes, float]) -> None:
        self.vocab = [bytes([i]) for i in range(256)] + [b"Person", b"Place", b"Pl", b'"}']
        self.prefer = prefer
        self.input_ids = np.zeros(512, dtype=np.intc)
        self.n_tokens = 0
        self.last_n_tokens_size = 64
        self.evals: list[list[int]] = []

    longest_token_prefix = staticmethod(llama_cpp.Llama.longest_token_prefix)

    def n_vocab(self) -> int:
        return len(self.vocab)

    def detokenize(self, tokens: list[int]) -> bytes:
        return b"".join(self.vocab[t] for t in tokens)

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        return list(text)  # byte by byte: the longer spellings only come from the model

    def eval(self, tokens: list[int]) -> None:
        self.evals.append(list(tokens))
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)

    @property
    def _ctx(self) -> ScriptedLlama:
        return self

    def get_logits_ith(self, _i: int) -> Any:
        """A float pointer, as llama.cpp's (the array lives as long as this model)."""
        self.logits = np.array([self.prefer.get(p, 0.0) for p in self.vocab], np.float32)
        return self.logits.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


@pytest.fixture
def scripted() -> Iterator[ScriptedLlama]:
    yield ScriptedLlama({b"Pl": 3.0, b"Person": 2.0, b"P": 1.0, b"a": 0.5, b"e": 0.4})


def test_the_pick_is_the_best_token_spelling_the_start_of_a_choice(
    scripted: ScriptedLlama,
) -> None:
    template = Template(('{"k": "', '"}'), (("Person", "Place", "Thing"),))
    prompt = list(b"Q?")
    text, tokens = decode_choices(
        scripted, Vocabulary(token_spellings(scripted)), prompt, template, 1.0
    )
    # "Pl" (3.0) beats "Person" (2.0): Place is the only choice "Pl" starts; the rest is fed.
    assert text == '{"k": "Place"}'
    assert scripted.detokenize(tokens) == b'{"k": "Place"}'
    # One model call: the prompt and the literal text in one batch, then nothing to decide.
    assert scripted.evals == [list(b'Q?{"k": "')]


def test_the_repeat_penalty_counts_the_answers_own_tokens(
    scripted: ScriptedLlama,
) -> None:
    template = Template(("", ",", ""), (("Pl", "Person"), ("Pl", "Person")))
    text, _ = decode_choices(
        scripted, Vocabulary(token_spellings(scripted)), list(b"Q"), template, 2.0
    )
    # The second "Pl" token is penalised (3.0 / 2) below "Person" (2.0).
    assert text == "Pl,Person"


def test_a_cached_prompt_prefix_is_not_evaluated_again(
    scripted: ScriptedLlama,
) -> None:
    template = Template(("", ""), (("Person", "Place"),))
    vocabulary = Vocabulary(token_spellings(scripted))
    decode_choices(scripted, vocabulary, list(b"same prefix, one"), template, 1.0)
    scripted.evals.clear()
    decode_choices(scripted, vocabulary, list(b"same prefix, two"), template, 1.0)
    assert scripted.evals[0] == list(b"two")
    scripted.evals.clear()
    # The very same prompt: its last token again, for fresh logits.
    decode_choices(scripted, vocabulary, list(b"same prefix, two"), template, 1.0)
    assert scripted.evals[0] == list(b"o")


# The real model.

TEXTS = [
    "Sprint review with Priya. Stripe joined from Dublin. Tired but happy.",
    "Walked to Soho with Marcus for dim sum. Booked flights on Expedia for Easter.",
    "Coffee with Dr. Okafor near Mill Road, then the Blue Door with Jonas.",
]


@pytest.fixture(scope="module")
def llama() -> Iterator[Any]:
    model = load_model(ModelSettings())
    yield model
    model.close()


def _ask(llama: Any, text: str, names: list[str], **kwargs: Any) -> dict[str, Any]:
    return llama.create_chat_completion(
        messages=[
            {"role": "system", "content": "Say what each name is: Person, Place, Organization."},
            {"role": "user", "content": f"text: {text}\ncandidates: {json.dumps(names)}"},
        ],
        temperature=0.0,
        repeat_penalty=1.1,
        max_tokens=96,
        **kwargs,
    )


NAMES = [["Priya", "Stripe", "Dublin"], ["Soho", "Marcus", "Expedia"], ["Okafor", "Mill Road"]]


def _grammars_pick(llama: Any, gbnf: str, answered: list[int], penalty: float) -> int:
    """What llama.cpp's grammar, then repeat penalty and greedy, picks from the logits now
    held for the last evaluated position, after the answer's ``answered`` tokens."""
    grammar = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, gbnf.encode(), b"root")
    try:
        for token in answered:
            llama_cpp.llama_sampler_accept(grammar, token)
        n = llama.n_vocab()
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(n,)).copy()
        for token in set(answered[-llama.last_n_tokens_size :]):
            logits[token] = (
                logits[token] * penalty if logits[token] <= 0 else logits[token] / penalty
            )
        data = (llama_cpp.llama_token_data * n)(
            *(llama_cpp.llama_token_data(i, float(logits[i]), 0.0) for i in range(n))
        )
        array = llama_cpp.llama_token_data_array(data, n, -1, False)
        llama_cpp.llama_sampler_apply(grammar, ctypes.byref(array))
        return int(np.argmax([d.logit for d in data]))
    finally:
        llama_cpp.llama_sampler_free(grammar)


def test_each_pick_is_the_grammars_greedy_pick_on_the_real_model(
    lm: DspyLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rule as decoding under the grammar, checked at every decision on the same
    logits (the paths' logits differ slightly: a batch and single tokens round differently)."""
    extractor = EntityExtractor()
    llama = lm.llama_engine.llama
    gbnf: list[str] = []
    compared: list[tuple[int, int]] = []
    pick = choices._Decoder.pick

    def checked_pick(decoder: Any, tokens: list[int]) -> int:
        chosen = pick(decoder, tokens)
        if len(tokens) > 1:
            expected = _grammars_pick(llama, gbnf[-1], decoder.answered, decoder.repeat_penalty)
            compared.append((chosen, expected))
        return chosen

    shipped = choices.answer_template

    def template_and_grammar(schema: Any) -> Any:
        gbnf.append(gbnf_for({"type": "json_object", "schema": schema}) or "")
        return shipped(schema)

    with dspy.context(lm=lm):  # the instructions in the KV cache (or evaluated) first
        extractor(text=TEXTS[0])
    monkeypatch.setattr(choices._Decoder, "pick", checked_pick)
    monkeypatch.setattr(choices, "answer_template", template_and_grammar)
    with dspy.context(lm=lm), counted_evals(llama) as evals:
        found = [extractor(text=text).entities for text in TEXTS]
    assert all(found) and len(compared) >= len(TEXTS)
    assert [chosen for chosen, _ in compared] == [expected for _, expected in compared]
    # The model runs once a decision (the first batch holds the prompt and the answer up to
    # its first choice); decoding under the grammar runs it once a token of the answer.
    answered = sum(h["usage"]["completion_tokens"] for h in lm.history[-len(TEXTS) :])
    assert len(evals) == len(compared) < answered


def test_the_next_call_reuses_the_prompt_and_the_answer_so_far(llama: Any) -> None:
    names = NAMES[0]
    template = answer_template(_outputs_schema(types=answer_model(names)))
    assert template is not None
    llama.reset()
    with choice_decoding(llama, Vocabulary(token_spellings(llama)), template, 1.1):
        first = _ask(llama, TEXTS[0], names)
        kept = llama.n_tokens
        second = _ask(llama, TEXTS[0], names)
    assert kept > first["usage"]["prompt_tokens"]  # the answer up to its last choice is cached
    assert second["choices"][0]["message"]["content"] == first["choices"][0]["message"]["content"]


def test_a_prompt_the_context_cannot_hold_is_refused_as_llama_cpp_refuses_it(llama: Any) -> None:
    template = answer_template(_outputs_schema(types=answer_model(["Priya"])))
    assert template is not None
    with (
        pytest.raises(ValueError, match="exceed context window"),
        choice_decoding(llama, Vocabulary(token_spellings(llama)), template, 1.1),
    ):
        _ask(llama, "word " * (llama.n_ctx() + 10), ["Priya"])

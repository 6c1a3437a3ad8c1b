"""The llama.cpp engine: request mapping in unit tests, usage/truncation/close on the real model."""

from __future__ import annotations

import dspy
import pytest
from dspy.lm15 import Config, Message, Request

from charlie_inference import DspyLM, ModelSettings, load_model
from charlie_inference.engine import (
    EngineClosedError,
    LlamaCppEngine,
    to_chat_messages,
    to_llama_response_format,
)


def test_schema_becomes_a_llama_grammar_request() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert to_llama_response_format({"type": "json_schema", "schema": schema}) == {
        "type": "json_object",
        "schema": schema,
    }
    nested = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert to_llama_response_format(nested) == {"type": "json_object", "schema": schema}
    assert to_llama_response_format({"type": "json_object"}) == {"type": "json_object"}
    assert to_llama_response_format(None) is None
    assert to_llama_response_format({"type": "text"}) is None


def test_request_becomes_chat_messages() -> None:
    request = Request(
        model="llamacpp/x",
        system="be brief",
        messages=(Message.user("hi"), Message.assistant("hello"), Message.user("bye")),
    )
    assert to_chat_messages(request) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ]


def test_engine_declares_schema_support_so_the_json_adapter_sends_one() -> None:
    assert LlamaCppEngine.supports_response_schema is True
    assert "response_format" in LlamaCppEngine.supported_params


def test_usage_and_prefix_reuse_are_reported(lm: DspyLM) -> None:
    engine = lm.llama_engine
    config = Config(max_tokens=8, temperature=0.0)
    request = Request(
        model=lm.model,
        system="You answer in one word.",
        messages=(Message.user("Hi"),),
        config=config,
    )
    first = engine.complete(request)
    second = engine.complete(request)
    assert first.usage.input_tokens and first.usage.input_tokens > 5
    assert 0 < first.usage.output_tokens <= 8
    # The same prompt again: llama.cpp keeps the evaluated prefix in its KV cache.
    assert second.usage.cache_read_tokens >= second.usage.input_tokens - 1


def test_truncation_is_reported_honestly(lm: DspyLM) -> None:
    request = Request(
        model=lm.model,
        messages=(Message.user("Count from one to one hundred in words."),),
        config=Config(max_tokens=4, temperature=0.0),
    )
    response = lm.llama_engine.complete(request)
    assert response.finish_reason == "length"
    assert response.usage.output_tokens == 4


def test_grammar_makes_output_parse_through_dspy(lm: DspyLM) -> None:
    class Pick(dspy.Signature):
        """Pick the animal mentioned."""

        text: str = dspy.InputField()
        animal: str = dspy.OutputField()
        legs: int = dspy.OutputField()

    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        prediction = dspy.Predict(Pick)(text="My dog ran in the park.")
    assert isinstance(prediction.legs, int)
    assert isinstance(prediction.animal, str)
    assert lm.history[-1]["usage"]["prompt_tokens"] > 0


def test_close_frees_the_model_and_later_calls_fail_clearly() -> None:
    settings = ModelSettings(n_ctx=512)
    model = DspyLM(settings, llama=load_model(settings))
    assert not model.closed
    model.close()
    assert model.closed
    model.close()  # idempotent
    request = Request(model=model.model, messages=(Message.user("hi"),))
    with pytest.raises(EngineClosedError):
        model.llama_engine.complete(request)


def test_copies_share_one_model(lm: DspyLM) -> None:
    import copy

    assert copy.deepcopy(lm.llama_engine) is lm.llama_engine
    assert lm.copy(temperature=0.5).llama_engine is lm.llama_engine


def test_a_program_keeps_its_cached_prefix_across_another_programs_call(lm: DspyLM) -> None:
    """Extractor, matcher, extractor: the third call finds the extractor's prompt still cached."""
    from charlie_inference import EntityExtractor, EntityMatcher

    with dspy.context(lm=lm):
        first = EntityExtractor()(text="Lunch at Zorba today, then Sarah.").entities
        EntityMatcher()(name="Sarah", entry="I met Sarah.", candidates=["Sarah Jones"])
        again = EntityExtractor()(text="Lunch at Zorba today, then Sarah.").entities
    usage = lm.history[-1]["usage"]
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    assert cached >= 0.8 * usage["prompt_tokens"], usage
    assert again == first  # the same KV, the same answer


def test_a_program_back_after_max_parked_other_programs_is_restored(lm: DspyLM) -> None:
    """Extractor, then as many other programs as states are kept (an entry whose matcher calls
    each had their own prompt), then the extractor: its state is restored, not evicted first."""
    from charlie_inference.engine import MAX_PARKED

    def ask(system: str) -> int:
        request = Request(
            model=lm.model,
            system=system,
            messages=(Message.user("Name one colour."),),
            config=Config(max_tokens=1, temperature=0.0),
        )
        usage = lm.llama_engine.complete(request).usage
        return usage.cache_read_tokens or 0

    extractor = "You read journal entries and say which words name people or places. " * 4
    ask(extractor)
    others = [
        f"You decide whether name number {i} is a known person. " * 3 for i in range(MAX_PARKED)
    ]
    for system in others:
        ask(system)
    prompt_tokens = len(lm.llama_engine.llama.tokenize(extractor.encode()))
    assert ask(extractor) >= prompt_tokens

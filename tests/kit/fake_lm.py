"""A fake LM for logic tests: a DSPy 3.4 engine that answers from a script, no model loaded.

It speaks the same engine protocol as ``charlie_inference``'s llama.cpp engine (``complete``
a ``dspy.lm15.Request``, declare JSON-schema support), so programs, adapters and the worker's
Manager run unchanged on top of it; only the answers are scripted. Every request is kept, so a
test can also assert what the program asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import dspy
from dspy.lm15 import Request, Response, response_to_events

from charlie_inference.engine import LlamaCppEngine, to_chat_messages, to_response

Script = Callable[[str], str]
"""``script(last user message) -> the model's raw answer``."""


def types_answer(*types: tuple[str, str]) -> str:
    """The extractor's JSON answer: the type of each ``(candidate, type)`` it was asked about."""
    return json.dumps({"types": dict(types)})


def by_text(answers: dict[str, str], default: str = types_answer()) -> Script:
    """Answer with ``answers[key]`` for the first key found in the prompt, else ``default``."""

    def script(prompt: str) -> str:
        return next((answer for key, answer in answers.items() if key in prompt), default)

    return script


class ScriptedEngine:
    """A DSPy engine whose answers come from ``script``."""

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = LlamaCppEngine.supported_params

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.closed = False

    def complete(self, request: Request) -> Response:
        if self.closed:
            raise RuntimeError("the scripted model was closed")
        self.requests.append(request)
        prompt = to_chat_messages(request)[-1]["content"]
        result: dict[str, Any] = {
            "choices": [{"message": {"content": self.script(prompt)}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 1},
        }
        return to_response(result, "scripted")

    def stream(self, request: Request) -> Iterator[Any]:
        return iter(response_to_events(self.complete(request)))

    def close(self) -> None:
        self.closed = True


class ScriptedLM(dspy.LM):
    """``dspy.LM`` on a ``ScriptedEngine``; ``close()`` marks it closed like ``DspyLM``."""

    def __init__(self, script: Script) -> None:
        self.scripted = ScriptedEngine(script)
        super().__init__("scripted/fake", engine=self.scripted, cache=False, num_retries=0)

    def close(self) -> None:
        super().close()
        self.scripted.close()

    @property
    def closed(self) -> bool:
        return self.scripted.closed

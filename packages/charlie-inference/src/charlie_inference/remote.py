"""A DSPy engine for a model served over HTTP: llama.cpp's server, vLLM or Ollama.

The request starts as the in-process engine's (``chat_kwargs``); each server then gets the
output schema in the form it enforces as a grammar, chosen by ``CHARLIE_LLM_API_DIALECT``:

- ``llamacpp``: ``POST {base}/chat/completions`` with
  ``response_format: {"type": "json_object", "schema": …}`` (``llama-server`` and
  ``llama_cpp.server`` both honour it);
- ``vllm``: ``POST {base}/chat/completions`` with OpenAI's
  ``response_format: {"type": "json_schema", "json_schema": {"name", "schema"}}`` (vLLM's
  structured outputs; accepted before and after v0.12 removed ``guided_json``), and vLLM's
  ``repetition_penalty``;
- ``ollama``: Ollama's own ``POST {host}/api/chat`` with ``format: <schema>``, sampling under
  ``options`` (``num_predict``, ``repeat_penalty``…) and ``stream: false``; ``CHARLIE_LLM_API_BASE``
  may be the host or its ``/v1`` URL.

Standard library HTTP only: no litellm on this path either.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dspy.lm15 import Response, response_to_events

from .engine import LlamaCppEngine, chat_kwargs, to_response
from .settings import Dialect

if TYPE_CHECKING:
    from dspy.lm15 import Request

TIMEOUT_S = 600.0

OUTPUT_SCHEMA_NAME = "output"


class ModelServerError(RuntimeError):
    """The model server could not be reached or refused the request."""


class RemoteEngine:
    """One model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = LlamaCppEngine.supported_params

    def __init__(
        self,
        api_base: str,
        *,
        model_name: str,
        api_key: str = "",
        repeat_penalty: float = 1.1,
        dialect: Dialect = "llamacpp",
    ) -> None:
        base = api_base.rstrip("/")
        if dialect == "ollama":
            self.url = base.removesuffix("/v1") + "/api/chat"
        else:
            self.url = base + "/chat/completions"
        self.model_name = model_name
        self.api_key = api_key
        self.repeat_penalty = repeat_penalty
        self.dialect = dialect

    def body(self, request: Request) -> dict[str, Any]:
        """What this server is sent for ``request``, in its own dialect."""
        kwargs = chat_kwargs(request, self.repeat_penalty)
        if self.dialect == "vllm":
            return vllm_body(self.model_name, kwargs)
        if self.dialect == "ollama":
            return ollama_body(self.model_name, kwargs)
        return {"model": self.model_name, **kwargs}

    def complete(self, request: Request) -> Response:
        body = self.body(request)
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(http, timeout=TIMEOUT_S) as reply:
                result: dict[str, Any] = json.load(reply)
        except urllib.error.HTTPError as exc:
            raise ModelServerError(
                f"The model server at {self.url} refused the request: {exc}. "
                "Check CHARLIE_LLM_API_BASE."
            ) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            # Down, restarting or not there at all: the worker waits and tries again.
            reason = getattr(exc, "reason", exc)
            raise ModelServerError(
                f"The model server at {self.url} is unreachable ({reason}). "
                "Check CHARLIE_LLM_API_BASE."
            ) from exc
        except json.JSONDecodeError as exc:
            raise ModelServerError(
                f"The model server at {self.url} answered something other than JSON: {exc}. "
                "Check CHARLIE_LLM_API_BASE."
            ) from exc
        if self.dialect == "ollama":
            result = ollama_to_openai(result)
        return to_response(result, self.model_name)

    def stream(self, request: Request) -> Iterator[Any]:
        return iter(response_to_events(self.complete(request)))

    def close(self) -> None:
        """Nothing is held locally: the server owns the model."""


def vllm_body(model: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's chat body with the schema as ``json_schema``, and vLLM's repetition penalty."""
    body = {k: v for k, v in kwargs.items() if k not in ("response_format", "repeat_penalty")}
    body = {"model": model, **body, "repetition_penalty": kwargs["repeat_penalty"]}
    response_format = kwargs.get("response_format")
    if response_format is not None:
        schema = response_format.get("schema")
        body["response_format"] = (
            {"type": "json_schema", "json_schema": {"name": OUTPUT_SCHEMA_NAME, "schema": schema}}
            if schema
            else {"type": "json_object"}
        )
    return body


def ollama_body(model: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Ollama's ``/api/chat`` body: the schema as ``format``, sampling under ``options``."""
    renamed = {"max_tokens": "num_predict"}
    options = {
        renamed.get(k, k): v
        for k, v in kwargs.items()
        if k in ("temperature", "repeat_penalty", "max_tokens", "top_p", "stop", "seed")
    }
    body: dict[str, Any] = {
        "model": model,
        "messages": kwargs["messages"],
        "stream": False,
        "options": options,
    }
    response_format = kwargs.get("response_format")
    if response_format is not None:
        body["format"] = response_format.get("schema") or "json"
    return body


def ollama_to_openai(result: dict[str, Any]) -> dict[str, Any]:
    """Ollama's chat answer in the OpenAI shape ``to_response`` reads."""
    return {
        "choices": [
            {
                "message": {"content": (result.get("message") or {}).get("content") or ""},
                "finish_reason": result.get("done_reason") or "stop",
            }
        ],
        "usage": {
            "prompt_tokens": result.get("prompt_eval_count"),
            "completion_tokens": result.get("eval_count"),
        },
    }

"""A DSPy engine for a model served over HTTP by an OpenAI-compatible llama.cpp server.

Same request mapping as the in-process engine (``chat_kwargs``), so the JSON schema still
reaches the server as a grammar (``response_format: {"type": "json_object", "schema": …}``,
which llama.cpp's ``llama-server`` and ``llama_cpp.server`` both honour). Standard library
HTTP only: no litellm on this path either.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dspy.lm15 import Response, response_to_events

from .engine import LlamaCppEngine, chat_kwargs, to_response

if TYPE_CHECKING:
    from dspy.lm15 import Request

TIMEOUT_S = 600.0


class ModelServerError(RuntimeError):
    """The model server could not be reached or refused the request."""


class RemoteEngine:
    """One model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint."""

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = LlamaCppEngine.supported_params

    def __init__(
        self, api_base: str, *, model_name: str, api_key: str = "", repeat_penalty: float = 1.1
    ) -> None:
        self.url = api_base.rstrip("/") + "/chat/completions"
        self.model_name = model_name
        self.api_key = api_key
        self.repeat_penalty = repeat_penalty

    def complete(self, request: Request) -> Response:
        body = {"model": self.model_name, **chat_kwargs(request, self.repeat_penalty)}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(self.url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(http, timeout=TIMEOUT_S) as reply:
                result: dict[str, Any] = json.load(reply)
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise ModelServerError(
                f"The model server at {self.url} failed: {exc}. Check CHARLIE_LLM_API_BASE."
            ) from exc
        return to_response(result, self.model_name)

    def stream(self, request: Request) -> Iterator[Any]:
        return iter(response_to_events(self.complete(request)))

    def close(self) -> None:
        """Nothing is held locally: the server owns the model."""

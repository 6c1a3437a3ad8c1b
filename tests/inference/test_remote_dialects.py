"""Each model-server dialect sends the output schema where that server enforces it.

vLLM and Ollama cannot run on these machines, so a loopback stand-in records what a real DSPy
program sends and answers in the server's documented shape: the bodies are checked against the
projects' documentation (vLLM: OpenAI ``response_format`` ``json_schema`` under "Structured
Outputs"; Ollama: ``POST /api/chat`` with ``format`` a JSON schema, ``options``, ``stream``).
The llama.cpp dialect also runs against the real ``llama_cpp.server`` in tests/scale.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dspy
import pytest

from charlie_inference import ModelSettings, make_lm

ANSWER = json.dumps({"mood": "calm"})


def _reply(path: str) -> dict[str, Any]:
    if path == "/api/chat":  # Ollama's own shape
        return {
            "message": {"role": "assistant", "content": ANSWER},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 12,
            "eval_count": 5,
        }
    return {
        "choices": [{"message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5},
    }


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """A loopback model server: its base URL, and every (path, body) it was sent."""
    seen: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.path, body))
            reply = json.dumps(_reply(self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _ask(settings: ModelSettings) -> tuple[dspy.Prediction, dspy.LM]:
    lm = make_lm(settings)
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        return dspy.Predict("text -> mood: str")(text="A quiet walk by the river."), lm


def _schema_of(body: dict[str, Any], dialect: str) -> dict[str, Any]:
    if dialect == "llamacpp":
        assert body["response_format"]["type"] == "json_object"
        return body["response_format"]["schema"]
    if dialect == "vllm":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"]
        return body["response_format"]["json_schema"]["schema"]
    assert "response_format" not in body
    return body["format"]


@pytest.mark.parametrize(
    ("dialect", "path"),
    [
        ("llamacpp", "/v1/chat/completions"),
        ("vllm", "/v1/chat/completions"),
        ("ollama", "/api/chat"),
    ],
)
def test_each_dialect_sends_the_schema_where_its_server_enforces_it(
    server: tuple[str, list[tuple[str, dict[str, Any]]]], dialect: str, path: str
) -> None:
    base, seen = server
    settings = ModelSettings(api_base=base, api_dialect=dialect, api_model="m", max_tokens=99)
    prediction, lm = _ask(settings)
    assert prediction.mood == "calm"
    assert lm.history[-1]["usage"]["prompt_tokens"] == 12
    [(sent_to, body)] = seen
    assert sent_to == path
    assert body["model"] == "m"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    schema = _schema_of(body, dialect)
    assert schema["type"] == "object" and "mood" in schema["properties"]


def test_sampling_settings_use_each_servers_names(
    server: tuple[str, list[tuple[str, dict[str, Any]]]],
) -> None:
    base, seen = server
    for dialect in ("llamacpp", "vllm", "ollama"):
        _ask(ModelSettings(api_base=base, api_dialect=dialect, max_tokens=99, repeat_penalty=1.3))
    (_, llamacpp), (_, vllm), (_, ollama) = seen
    assert (llamacpp["max_tokens"], llamacpp["repeat_penalty"]) == (99, 1.3)
    assert (vllm["max_tokens"], vllm["repetition_penalty"]) == (99, 1.3)
    assert "repeat_penalty" not in vllm
    assert ollama["stream"] is False
    assert ollama["options"] == {"temperature": 0.0, "repeat_penalty": 1.3, "num_predict": 99}


def test_the_dialect_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARLIE_LLM_API_BASE", "http://gpu-box:11434")
    monkeypatch.setenv("CHARLIE_LLM_API_DIALECT", "ollama")
    assert make_lm()._engine_spec.url == "http://gpu-box:11434/api/chat"
    monkeypatch.setenv("CHARLIE_LLM_API_DIALECT", "mistral")
    with pytest.raises(ValueError, match="llamacpp"):
        ModelSettings()

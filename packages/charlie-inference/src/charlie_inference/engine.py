"""A DSPy 3.4 engine that runs chat completions on an in-process ``llama_cpp.Llama``.

DSPy owns caching, history, usage accounting and retries; this engine does one
attempt: it turns a canonical ``dspy.lm15.Request`` into llama.cpp's chat call,
maps a JSON schema to grammar-constrained decoding, and reports usage,
prefix-cache reuse and truncation honestly. A prompt the context window cannot hold, or an
answer cut off by it, raises ``dspy.lm15.ContextLengthError`` (``ContextWindowExceededError``
once through DSPy).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dspy.lm15 import ContextLengthError, Message, Response, TextPart, Usage, response_to_events

from .prompt_cache import instruction_tokens, read_kv, write_kv

if TYPE_CHECKING:
    from dspy.lm15 import Request
    from llama_cpp import Llama

    from .choices import Vocabulary
    from .prompt_cache import PromptCache

MAX_PARKED = 2
"""KV states kept for programs other than the live one (each ~23 KiB per token here)."""

# llama.cpp's "length" is the only finish reason besides a normal stop that we can see.
_FINISH_REASONS = {"stop": "stop", "length": "length"}


class EngineClosedError(RuntimeError):
    """The model behind this engine was closed; load a new one."""


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(getattr(part, "text", "") or "" for part in content)


def to_chat_messages(request: Request) -> list[dict[str, str]]:
    """The request as llama.cpp chat messages (the GGUF's own chat template applies them)."""
    messages: list[dict[str, str]] = []
    if request.system is not None:
        messages.append({"role": "system", "content": _text(request.system)})
    messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
    return messages


def to_llama_response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """DSPy's response format as llama.cpp's, whose ``schema`` becomes a decoding grammar."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("schema")
        if schema is None:  # OpenAI's nested shape
            schema = (response_format.get("json_schema") or {}).get("schema")
        return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}
    if kind == "json_object":
        return {"type": "json_object"}
    return None


def chat_kwargs(request: Request, repeat_penalty: float) -> dict[str, Any]:
    """The arguments of a llama.cpp chat completion (local call or server request body)."""
    config = request.config
    kwargs: dict[str, Any] = {
        "messages": to_chat_messages(request),
        "temperature": config.temperature if config.temperature is not None else 0.0,
        "repeat_penalty": repeat_penalty,
    }
    if config.max_tokens is not None:
        kwargs["max_tokens"] = config.max_tokens
    if config.top_p is not None:
        kwargs["top_p"] = config.top_p
    if config.stop:
        kwargs["stop"] = list(config.stop)
    if config.seed is not None:
        kwargs["seed"] = config.seed
    response_format = to_llama_response_format(config.response_format)
    if response_format is not None:
        kwargs["response_format"] = response_format
    return kwargs


def to_response(
    result: dict[str, Any], model_name: str, cache_read_tokens: int | None = None
) -> Response:
    """An OpenAI-shaped chat completion (llama.cpp's, local or served) as DSPy's Response."""
    choice = result["choices"][0]
    usage = result.get("usage") or {}
    if cache_read_tokens is None:
        cache_read_tokens = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    return Response(
        id=result.get("id") or f"llamacpp-{uuid.uuid4().hex}",
        model=model_name,
        message=Message.assistant([TextPart(choice["message"].get("content") or "")]),
        finish_reason=_FINISH_REASONS.get(choice.get("finish_reason") or "stop", "stop"),
        usage=Usage(
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            cache_read_tokens=cache_read_tokens,
        ),
    )


class LlamaCppEngine:
    """One llama.cpp model behind DSPy's engine interface.

    The capability flags make DSPy's JSON adapter send the output schema, which
    is then enforced by llama.cpp's grammar: a small model's output parses.
    """

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    supported_params = frozenset(
        {"temperature", "max_tokens", "top_p", "stop", "seed", "response_format"}
    )

    def __init__(
        self,
        llama: Llama,
        *,
        model_name: str,
        repeat_penalty: float = 1.1,
        prompt_cache: PromptCache | None = None,
    ) -> None:
        self._llama: Llama | None = llama
        self.model_name = model_name
        self.repeat_penalty = repeat_penalty
        self.prompt_cache = prompt_cache
        # llama.cpp is not thread safe: every call on this model goes through one lock.
        self._lock = threading.Lock()
        # The KV cache of each program (system prompt) while another program's call runs.
        self._parked: OrderedDict[str, tuple[Any, bytearray]] = OrderedDict()
        self._live_program: str | None = None
        self._spellings: Vocabulary | None = None
        # Each program's instruction tokens (the messages before the request), for the cache.
        self._instructions: dict[str, list[int]] = {}

    @property
    def llama(self) -> Llama:
        if self._llama is None:
            raise EngineClosedError(f"the model {self.model_name} was closed")
        return self._llama

    @property
    def n_ctx(self) -> int:
        return self.llama.n_ctx()

    def complete(self, request: Request) -> Response:
        from .choices import answer_template, choice_decoding
        from .grammar import gbnf_for, grammar_sampling  # loads llama_cpp: not at import

        kwargs = chat_kwargs(request, self.repeat_penalty)
        # The grammar goes into the sampler here rather than through llama-cpp-python's
        # response_format, whose sampler checks the whole vocabulary at every token; and an
        # answer whose only freedom is a choice per value is decoded at its choices only.
        response_format = kwargs.pop("response_format", None)
        template = answer_template((response_format or {}).get("schema"))
        if kwargs["temperature"] != 0.0:  # a retry samples: the grammar keeps it valid
            template = None
        gbnf = gbnf_for(response_format) if template is None else None
        messages = kwargs["messages"]
        program = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        with self._lock:
            llama = self.llama
            self._switch_program(llama, program)
            evaluated = self._start_from_instructions(llama, messages)
            previous = list(llama._input_ids)
            try:
                if template is not None:
                    decoding = choice_decoding(
                        llama, self._vocabulary(llama), template, self.repeat_penalty
                    )
                elif gbnf:
                    decoding = grammar_sampling(llama, gbnf)
                else:
                    decoding = contextlib.nullcontext()
                with decoding:
                    result = llama.create_chat_completion(**kwargs)
            except ValueError as exc:
                # llama-cpp-python: "Requested tokens (N) exceed context window of M"; or,
                # when a reused prefix plus the new tokens overrun the window, numpy's "could
                # not broadcast input array" from its token buffer. Both are an overflow: the
                # caller reads smaller pieces. The half-written sequence is not reused.
                if "context window" not in str(exc) and "could not broadcast" not in str(exc):
                    raise
                llama.reset()
                raise ContextLengthError(str(exc), provider="llamacpp") from exc
            prompt_tokens = result["usage"]["prompt_tokens"]
            reused = llama.longest_token_prefix(previous, llama._input_ids[:prompt_tokens])
            reused -= evaluated
            n_ctx = llama.n_ctx()
        response = to_response(result, self.model_name, cache_read_tokens=reused)
        used = (response.usage.input_tokens or 0) + (response.usage.output_tokens or 0)
        if response.finish_reason == "length" and used >= n_ctx:
            # llama.cpp silently shrinks max_tokens to what the context has left: the answer
            # was cut by the context window, not by the caller's max_tokens.
            raise ContextLengthError(
                f"The answer was cut off by the context window of {n_ctx} tokens "
                f"(prompt {response.usage.input_tokens} tokens)",
                provider="llamacpp",
            )
        return response

    def _vocabulary(self, llama: Llama) -> Vocabulary:
        """The model's token spellings, read once a load at its first choice answer (from the
        prompt cache: ~10 ms against ~0.2 s asking llama.cpp)."""
        from .choices import Vocabulary, token_spellings

        if self._spellings is None:
            spellings = (
                self.prompt_cache.spellings(llama)
                if self.prompt_cache is not None
                else token_spellings(llama)
            )
            self._spellings = Vocabulary(spellings)
        return self._spellings

    def _switch_program(self, llama: Llama, program: str) -> None:
        """Keep each program's cached prompt prefix across the calls of another program.

        Every extraction shares the extractor's instructions and demos, which llama.cpp keeps
        in its KV cache; but one entity-matcher call (other instructions) overwrites them and
        the next entry evaluates its whole prompt again (~600 tokens, seconds on a CPU). So
        the live KV sequence is parked (KV only, no logits) when the program changes, and the
        returning program's is put back. Outputs are unchanged: the same KV, the same logits.

        The returning program's state is taken out before the live one is parked and the
        oldest parked states are evicted: evicting first would drop the very state about to
        be restored whenever more than ``MAX_PARKED`` other programs ran in between.
        """
        if program == self._live_program:
            return
        restore = self._parked.pop(program, None)
        if self._live_program is not None and llama.n_tokens:
            tokens = llama.input_ids[: llama.n_tokens].copy()
            self._parked[self._live_program] = (tokens, read_kv(llama))
            self._parked.move_to_end(self._live_program)
            while len(self._parked) > MAX_PARKED:
                self._parked.popitem(last=False)
        self._live_program = program
        if restore is not None:
            write_kv(llama, *restore)

    def _start_from_instructions(self, llama: Llama, messages: list[dict[str, str]]) -> int:
        """Have the model hold the call's instructions (the messages before its request):
        already there, read from the prompt cache, or evaluated now and saved to it. Returns
        how many tokens were evaluated here (the call's, not reused).

        With no cache this is left to llama-cpp-python's prefix match, as before; with one,
        only the first load of a model and program evaluates the instructions.
        """
        if self.prompt_cache is None or len(messages) < 2:
            return 0
        key = json.dumps(messages[:-1])
        tokens = self._instructions.get(key)
        if tokens is None:
            tokens = self._instructions[key] = instruction_tokens(llama, messages)
        if len(tokens) >= llama.n_ctx():  # the call itself reports the overflow, as before
            return 0
        held = llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], tokens)
        if held == len(tokens) or self.prompt_cache.restore(llama, tokens):
            return 0
        llama.n_tokens = held  # eval() drops the KV cache from here on
        llama.eval(tokens[held:])
        self.prompt_cache.save(llama, tokens)
        return len(tokens) - held

    def stream(self, request: Request) -> Iterator[Any]:
        return iter(response_to_events(self.complete(request)))

    def close(self) -> None:
        """Free the model's memory now, and hand the freed heap back to the OS."""
        with self._lock:
            if self._llama is None:
                return
            self._llama.close()
            self._llama = None
            self._parked.clear()
            self._live_program = None
            self._spellings = None
            self._instructions.clear()
        _malloc_trim()

    @property
    def closed(self) -> bool:
        return self._llama is None

    def __deepcopy__(self, memo: dict[int, Any]) -> LlamaCppEngine:
        # DSPy copies programs and LMs; a model is shared, never duplicated.
        return self


def _malloc_trim() -> None:
    """glibc keeps a freed heap mapped; trimming it is what makes RSS actually drop."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)

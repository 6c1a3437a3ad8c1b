"""Answers of a fixed shape whose values are choices, decoded at the choices only.

Both of Charlie's programs answer in such a shape: the extractor ``{"types": {"Sam": "Person",
"Leeds": "Place"}}`` (each candidate a required key, in order; each value one of five types),
the matcher ``{"match": "Sam Lee"}``. Under the grammar the model still decodes that answer
one token at a time, although only the values are its to choose: braces, keys (the candidate
names) and quotes are the only text the grammar allows there (bar optional whitespace). A
decode step costs about the same for one token as for ten on this model (the weights are
read once a step), so ~15 steps an entry decided 2 to 4 things.

``answer_template`` reads such a JSON schema into literal text and choices; ``decode_choices``
feeds each run of literal text to the model in one batch (with the prompt, for the first) and
reads the model's logits only where the answer holds a choice: the highest-logit first token
among the choices' (after llama.cpp's repeat penalty, as the grammar-then-greedy chain picks),
then the next token where several choices still share it. The answer is written as DSPy's
demos write JSON (``json.dumps``' separators), so the model is fed the tokens it was shown.
The text after the last choice is not evaluated at all: nothing is decided there.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from llama_cpp import Llama


@dataclass(frozen=True)
class Template:
    """An answer's text: ``literals[0] choices[0] literals[1] … choices[-1] literals[-1]``."""

    literals: tuple[str, ...]
    choices: tuple[tuple[str, ...], ...]

    def text(self, picks: list[str]) -> str:
        return self.literals[0] + "".join(
            p + lit for p, lit in zip(picks, self.literals[1:], strict=False)
        )


class _Builder:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.literals: list[str] = [""]
        self.choices: list[tuple[str, ...]] = []

    def literal(self, text: str) -> None:
        self.literals[-1] += text

    def value(self, node: dict[str, Any]) -> bool:
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self.defs.get(ref.removeprefix("#/$defs/"))
            return ref.startswith("#/$defs/") and target is not None and self.value(target)
        if "const" in node:
            node = {"enum": [node["const"]]}
        if "enum" in node:
            return self.enum(node["enum"])
        if node.get("type") == "object":
            return self.object(node)
        return False

    def enum(self, options: list[Any]) -> bool:
        if not options or not all(isinstance(o, str) for o in options):
            return False
        inner = tuple(dict.fromkeys(json.dumps(o, ensure_ascii=False)[1:-1] for o in options))
        self.literal('"')
        if len(inner) == 1:
            self.literal(inner[0])
        else:
            self.choices.append(inner)
            self.literals.append("")
        self.literal('"')
        return True

    def object(self, node: dict[str, Any]) -> bool:
        properties = node.get("properties") or {}
        required = node.get("required") or []
        # Every property required, none other allowed: the keys are fixed text.
        if not properties or node.get("additionalProperties", True) is not False:
            return False
        if sorted(required) != sorted(properties):
            return False
        self.literal("{")
        for i, (key, value) in enumerate(properties.items()):
            self.literal(f"{', ' if i else ''}{json.dumps(key, ensure_ascii=False)}: ")
            if not isinstance(value, dict) or not self.value(value):
                return False
        self.literal("}")
        return True


def answer_template(schema: dict[str, Any] | None) -> Template | None:
    """The schema's answers as literal text and choices, or None when they are not of that
    shape (a free string, a number, an optional key: the grammar decodes those)."""
    if not schema:
        return None
    builder = _Builder(schema.get("$defs") or {})
    if not builder.value(schema) or not builder.choices:
        return None
    return Template(tuple(builder.literals), tuple(builder.choices))


def _tokens(llama: Llama, text: bytes) -> list[int]:
    return llama.tokenize(text, add_bos=False, special=False) if text else []


def token_spellings(llama: Llama) -> list[bytes]:
    """Each token's bytes, by id (a control token's: none). Asking llama.cpp token by token
    takes ~0.2 s for a 49,152-token vocabulary: ``PromptCache.spellings`` keeps them."""
    return [llama.detokenize([token]) for token in range(llama.n_vocab())]


class Vocabulary:
    """Which token spells which bytes: the tokens the grammar would allow at a choice are
    those spelling a prefix of a choice's remaining text."""

    def __init__(self, spellings: Sequence[bytes]) -> None:
        self.ids: dict[bytes, int] = {}
        for token, piece in enumerate(spellings):
            if piece:  # control tokens spell nothing
                self.ids.setdefault(piece, token)  # a duplicate spelling: the lowest id
        self.longest = max(map(len, self.ids), default=0)

    def spelling_prefixes(self, text: bytes) -> dict[int, bytes]:
        """The tokens that spell a non-empty prefix of ``text``."""
        found = {}
        for end in range(1, min(len(text), self.longest) + 1):
            token = self.ids.get(text[:end])
            if token is not None:
                found[token] = text[:end]
        return found


def max_answer_tokens(llama: Llama, template: Template) -> int:
    """About the most tokens an answer of ``template`` takes (as tokenized, plus one a
    choice for a choice spelled in two tokens)."""
    total = len(_tokens(llama, template.literals[0].encode()))
    for options, after in zip(template.choices, template.literals[1:], strict=False):
        total += 1 + max(len(_tokens(llama, (option + after).encode())) for option in options)
    return total


class _Decoder:
    """One answer's decoding on ``llama``: tokens waiting to be evaluated, tokens answered."""

    def __init__(self, llama: Llama, repeat_penalty: float) -> None:
        self.llama = llama
        self.repeat_penalty = repeat_penalty
        self.pending: list[int] = []
        self.answered: list[int] = []

    def start(self, prompt: list[int]) -> None:
        """Keep the longest prefix of ``prompt`` already in the KV cache; the rest waits."""
        llama = self.llama
        cached = llama.longest_token_prefix(llama.input_ids[: llama.n_tokens], prompt)
        llama.n_tokens = cached  # eval() drops the KV cache from here on
        self.pending = list(prompt[cached:])

    def feed(self, tokens: list[int]) -> None:
        self.pending.extend(tokens)
        self.answered.extend(tokens)

    def pick(self, tokens: list[int]) -> int:
        """The token greedy decoding would pick among ``tokens`` at the next position."""
        if len(tokens) == 1:
            return tokens[0]
        llama = self.llama
        if not self.pending:  # the whole prompt was cached: refresh its last logits
            llama.n_tokens -= 1
            self.pending = [int(llama.input_ids[llama.n_tokens])]
        llama.eval(self.pending)
        self.pending = []
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
        window = set(self.answered[-llama.last_n_tokens_size :])
        best, best_logit = tokens[0], -np.inf
        for token in sorted(tokens):  # on a tie greedy keeps the lowest token id
            logit = float(logits[token])
            if token in window:  # llama.cpp's repeat penalty, on the answer's own tokens
                logit = logit * self.repeat_penalty if logit <= 0 else logit / self.repeat_penalty
            if logit > best_logit:
                best, best_logit = token, logit
        return best


def decode_choices(
    llama: Llama,
    vocabulary: Vocabulary,
    prompt: list[int],
    template: Template,
    repeat_penalty: float,
) -> tuple[str, list[int]]:
    """The answer greedy decoding under the grammar picks for ``prompt``: text and tokens.

    While several choices are open, the model picks among every token that spells the start
    of one of them, as under the grammar ("Th" may beat "Person" where "Thing" would not);
    once one is left, the rest of it and the literal text after it are fed as the tokenizer
    writes them. Leaves the KV cache holding the prompt and the answer up to its last
    choice, for the next call's prefix match.
    """
    decoder = _Decoder(llama, repeat_penalty)
    decoder.start(prompt)
    decoder.feed(_tokens(llama, template.literals[0].encode()))
    picks: list[str] = []
    for options, after in zip(template.choices, template.literals[1:], strict=False):
        rest = {option: (option + after).encode() for option in options}
        while len(rest) > 1:
            spelled: dict[int, bytes] = {}
            for text in rest.values():
                spelled.update(vocabulary.spelling_prefixes(text))
            token = decoder.pick(sorted(spelled))
            piece = spelled[token]
            rest = {o: text[len(piece) :] for o, text in rest.items() if text.startswith(piece)}
            decoder.feed([token])
        (option, text), *_ = rest.items()
        decoder.feed(_tokens(llama, text))
        picks.append(option)
    return template.text(picks), decoder.answered


@contextlib.contextmanager
def choice_decoding(
    llama: Llama, vocabulary: Vocabulary, template: Template, repeat_penalty: float
) -> Iterator[None]:
    """Answer the chat completions made inside the block with ``decode_choices``.

    llama-cpp-python's chat handler turns the messages into prompt tokens (the GGUF's chat
    template) and calls ``llama.create_completion`` with them: that one call is answered
    here, so the prompt is exactly what the grammar path would evaluate. Callers hold the
    model's lock.
    """

    def create_completion(
        prompt: list[int], max_tokens: int | None = None, **_sampling: Any
    ) -> dict[str, Any]:
        longest = len(prompt) + max_answer_tokens(llama, template)
        if longest > llama.n_ctx():  # worded as llama-cpp-python's own overflow error
            raise ValueError(
                f"Requested tokens ({longest}) exceed context window of {llama.n_ctx()}"
            )
        text, tokens = decode_choices(llama, vocabulary, prompt, template, repeat_penalty)
        finish = "stop"
        if max_tokens is not None and len(tokens) > max_tokens:  # cut as decoding would be
            tokens, finish = tokens[:max_tokens], "length"
            text = llama.detokenize(tokens).decode(errors="ignore")
        return {
            "id": f"cmpl-{uuid.uuid4()}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": "",
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": len(prompt),
                "completion_tokens": len(tokens),
                "total_tokens": len(prompt) + len(tokens),
            },
        }

    llama.create_completion = create_completion  # type: ignore[method-assign]
    try:
        yield
    finally:
        del llama.create_completion

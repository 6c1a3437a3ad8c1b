"""Greedy decoding under a JSON-schema grammar without checking the vocabulary at every token.

llama-cpp-python puts llama.cpp's grammar sampler in the chain before the greedy pick, so at
every generated token the grammar tests *every* token of the vocabulary (49,152 for SmolLM2:
each decoded to code points and matched against the grammar's stacks), ~8 ms a token here,
a third of the decode time. The grammar's size hardly matters (an answer schema's GBNF is a
dozen rules; parsing it takes ~15 µs): the vocabulary does.

Greedy decoding only needs the best token the grammar allows. So ``GrammarGreedy`` asks the
grammar about the model's best token; if it is rejected (the model would like a newline and
indentation where the schema's grammar allows one space, ~40% of tokens here), about the best
32; and only if all of those are rejected (~5%: the first token of an answer) about the whole
vocabulary, as llama.cpp's own ``common_sampler`` does. The pick is the token the
grammar-then-greedy chain picks (the highest logit among allowed tokens, the first on a tie),
so outputs do not change.

``grammar_sampling`` installs it for one call by replacing the chain's greedy sampler; any
other sampling (a temperature above 0) keeps llama-cpp-python's grammar-first chain.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import llama_cpp
import numpy as np
from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar, json_schema_to_gbnf

if TYPE_CHECKING:
    from llama_cpp import Llama

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


def _token_view(data: Any, size: int) -> np.ndarray:
    """``size`` llama_token_data structs at ``data`` as a numpy record array (no copy)."""
    raw = ctypes.cast(data, ctypes.POINTER(ctypes.c_byte))
    return np.ctypeslib.as_array(raw, shape=(size * _TOKEN_DATA.itemsize,)).view(_TOKEN_DATA)


_NAME = ctypes.create_string_buffer(b"charlie-grammar-greedy")
# The interface's name callback returns ``const char *``: typed here as a void pointer so that
# ctypes returns the address of a buffer that lives forever (a ``c_char_p`` result would not).
_name_callback = ctypes.CFUNCTYPE(ctypes.c_void_p, llama_cpp.llama_sampler_p_ctypes)(
    lambda _sampler: ctypes.addressof(_NAME)
)


def gbnf_for(response_format: dict[str, Any] | None) -> str | None:
    """The GBNF grammar llama.cpp's chat handler would build for this response format.

    A schema the converter cannot handle falls back to plain JSON, as llama-cpp-python does.
    """
    if not response_format or response_format.get("type") != "json_object":
        return None
    schema = response_format.get("schema")
    return JSON_GBNF if schema is None else _schema_gbnf(json.dumps(schema))


@lru_cache(maxsize=64)
def _schema_gbnf(schema_json: str) -> str:
    # Keyed by the schema's JSON as sent (property order is the order the grammar demands).
    try:
        return json_schema_to_gbnf(schema_json)
    except Exception:  # the converter raises several types for schemas it does not support
        return JSON_GBNF


class GrammarGreedy:
    """A llama.cpp sampler (Python callbacks) that picks the highest-logit token the grammar
    allows: it asks the grammar about the best token, then the best ``SHORTLIST``, and only
    when all of those are rejected about the whole vocabulary."""

    SHORTLIST = 32

    def __init__(self, vocab: Any, gbnf: str) -> None:
        self._grammar = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self._buffer = (llama_cpp.llama_token_data * self.SHORTLIST)()
        self._shortlist = _token_view(self._buffer, self.SHORTLIST)
        self._iface = llama_cpp.llama_sampler_i()
        # The callbacks must live as long as the C sampler: they are attributes of self.
        self._iface.name = ctypes.cast(_name_callback, llama_cpp.llama_sampler_i_name)
        self._iface.apply = llama_cpp.llama_sampler_i_apply(self._apply)
        self._iface.accept = llama_cpp.llama_sampler_i_accept(self._accept)
        self._iface.reset = llama_cpp.llama_sampler_i_reset(self._reset)
        self._iface.free = llama_cpp.llama_sampler_i_free(self._free)
        self.sampler = llama_cpp.llama_sampler_init(ctypes.byref(self._iface), None)
        self.error: BaseException | None = None
        """An exception raised while picking a token (kept: it cannot cross llama.cpp)."""
        self.checks = {"best": 0, "shortlist": 0, "vocabulary": 0}
        """How many tokens each check settled (the best token allowed; one of the shortlist;
        only the whole vocabulary)."""

    def _apply(self, _sampler: Any, cur_p: Any) -> None:
        try:
            self._pick(cur_p)
        except BaseException as exc:
            # An exception cannot cross into llama.cpp (ctypes would print and drop it, and no
            # token selected aborts the process): a ctrl+c landing here is raised after the
            # call (``grammar_sampling``), and this token is picked the plain way.
            self.error = exc
            self._pick_from_vocabulary(cur_p)

    def _pick(self, cur_p: Any) -> None:
        candidates = cur_p.contents
        view = _token_view(candidates.data, candidates.size)
        logits = view["logit"]
        best = int(np.argmax(logits))
        if self._allowed(view, np.array([best])) is not None:
            self.checks["best"] += 1
            candidates.selected = best
            return
        top = np.argpartition(logits, -self.SHORTLIST)[-self.SHORTLIST :]
        top = top[np.lexsort((top, -logits[top]))]  # greedy's order: logit, then position
        pick = self._allowed(view, top)
        # A pick tied with the shortlist's last logit may have a tie outside it: not sure.
        if pick is not None and logits[pick] > logits[top[-1]]:
            self.checks["shortlist"] += 1
            candidates.selected = pick
            return
        self.checks["vocabulary"] += 1
        self._pick_from_vocabulary(cur_p)

    def _pick_from_vocabulary(self, cur_p: Any) -> None:
        candidates = cur_p.contents
        llama_cpp.llama_sampler_apply(self._grammar, cur_p)  # rejected tokens get -inf
        logits = _token_view(candidates.data, candidates.size)["logit"]
        candidates.selected = int(np.argmax(logits))

    def _allowed(self, view: np.ndarray, indices: np.ndarray) -> int | None:
        """The first of ``indices`` (positions in ``view``) whose token the grammar allows."""
        n = len(indices)
        self._shortlist[:n] = view[indices]
        shortlist = llama_cpp.llama_token_data_array(self._buffer, n, -1, False)
        llama_cpp.llama_sampler_apply(self._grammar, ctypes.byref(shortlist))
        allowed = np.flatnonzero(self._shortlist["logit"][:n] != -math.inf)
        return int(indices[allowed[0]]) if len(allowed) else None

    def _accept(self, _sampler: Any, token: int) -> None:
        llama_cpp.llama_sampler_accept(self._grammar, token)

    def _reset(self, _sampler: Any) -> None:
        llama_cpp.llama_sampler_reset(self._grammar)

    def _free(self, _sampler: Any) -> None:
        # Called by llama.cpp when the chain holding this sampler is freed.
        if self._grammar:
            llama_cpp.llama_sampler_free(self._grammar)
            self._grammar = None


@contextlib.contextmanager
def grammar_sampling(llama: Llama, gbnf: str) -> Iterator[None]:
    """Constrain the generations of ``llama`` started inside the block to ``gbnf``.

    Replaces ``llama._init_sampler`` on this instance for the block (callers hold the model's
    lock): greedy sampling gets ``GrammarGreedy`` in place of the chain's greedy sampler;
    other sampling gets the grammar the way llama-cpp-python adds it. An exception raised
    while picking a token (ctrl+c) is raised when the block ends.
    """
    build = llama._init_sampler
    pickers: list[GrammarGreedy] = []

    def init_sampler(**params: Any) -> Any:
        if params.get("temp") != 0.0:
            return build(**{**params, "grammar": LlamaGrammar.from_string(gbnf)})
        chain = build(**{**params, "grammar": None})
        last = llama_cpp.llama_sampler_chain_n(chain.sampler) - 1
        tail = llama_cpp.llama_sampler_chain_get(chain.sampler, last)
        if llama_cpp.llama_sampler_name(tail) != b"greedy":  # a chain we do not know
            return build(**{**params, "grammar": LlamaGrammar.from_string(gbnf)})
        llama_cpp.llama_sampler_free(llama_cpp.llama_sampler_chain_remove(chain.sampler, last))
        picker = GrammarGreedy(llama._model.vocab, gbnf)
        llama_cpp.llama_sampler_chain_add(chain.sampler, picker.sampler)
        chain.charlie_grammar = picker  # the callbacks live as long as the chain
        pickers.append(picker)
        return chain

    llama._init_sampler = init_sampler  # type: ignore[method-assign]
    try:
        yield
        for picker in pickers:
            if picker.error is not None:
                raise picker.error
    finally:
        del llama._init_sampler

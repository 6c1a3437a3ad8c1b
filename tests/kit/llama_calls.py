"""What a real ``llama_cpp.Llama`` evaluates: the batches it runs inside a block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def counted_evals(llama: Any) -> Iterator[list[int]]:
    """The size of each batch ``llama`` evaluates inside the block."""
    sizes: list[int] = []
    original = llama.eval

    def eval_(tokens: list[int]) -> None:
        sizes.append(len(tokens))
        original(tokens)

    llama.eval = eval_
    try:
        yield sizes
    finally:
        del llama.eval

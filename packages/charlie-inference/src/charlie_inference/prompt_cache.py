"""The KV state of the programs' instructions, kept on disk from one model load to the next.

Every call of a program starts with the same instructions and demos (the extractor's: ~414
tokens). A warm backlog evaluates them once; but every load of the model evaluated them
again, ~1.5-2 s on one CPU thread against ~0.15 s for the load itself: once a backlog, and
once for each entry written while the model is unloaded, which is how most entries are
read. After they are first evaluated, the KV state of exactly those tokens is written here,
and a later load reads it back (~10 ms for ~10 MB) instead of evaluating them.

Only instructions and demos reach the disk, never an entry: the tokens kept are those the
model's chat template writes before the request's own content (``instruction_tokens``). A
file is named by a hash of the model file (path, size, modification time), llama-cpp-python's
version and those tokens, so a changed model, program or library never reads a stale state;
a state llama.cpp refuses is deleted. Files are the user's alone (0600) and only the newest
``KEEP`` are kept. ``read_kv`` and ``write_kv`` are also how the engine parks one program's
KV in memory while another program runs.

The model's token spellings (``choices.token_spellings``: ~0.2 s of asking llama.cpp token by
token at every load, for the answers decoded at their choices) are kept the same way, one
file per model (~0.6 MB, read in ~10 ms).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_cpp import Llama

logger = logging.getLogger(__name__)

KEEP = 6
"""States kept on disk (~10 MB each for the bundled model): a few programs and models."""

ABANDONED_S = 600
"""A half-written state this old was left by a killed writer."""

SUFFIX = ".kv"
SPELLINGS_SUFFIX = ".spellings"


def read_kv(llama: Llama) -> bytearray:
    """The KV state of the model's sequence (no logits): what ``write_kv`` puts back."""
    import llama_cpp

    ctx = llama._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    data = bytearray(size)
    used = llama_cpp.llama_state_seq_get_data(
        ctx, (ctypes.c_uint8 * size).from_buffer(data), size, 0
    )
    del data[used:]
    return data


def write_kv(llama: Llama, tokens: Sequence[int], data: bytearray) -> bool:
    """Make ``data`` (``read_kv``'s, for ``tokens``) the model's sequence; False if refused.

    The logits of the last token are not part of it: the next evaluation computes them
    (llama-cpp-python is told so, and a prompt always has tokens after the instructions).
    """
    import llama_cpp

    buffer = (ctypes.c_uint8 * len(data)).from_buffer(data)
    if not llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(data), 0):
        return False
    llama.input_ids[: len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    llama._requires_eval = True
    return True


class _Rendered(Exception):
    """Stops a chat completion once the chat template has written the prompt's tokens."""

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = tokens


def rendered_prompt(llama: Llama, messages: list[dict[str, str]]) -> list[int]:
    """The prompt tokens llama-cpp-python's own chat handler makes of ``messages``, whatever
    the model's chat format, without evaluating anything."""

    def capture(prompt: list[int], **_: Any) -> Any:
        raise _Rendered(list(prompt))

    llama.create_completion = capture  # type: ignore[method-assign]
    try:
        llama.create_chat_completion(messages=messages, max_tokens=1)
    except _Rendered as rendered:
        return rendered.tokens
    finally:
        del llama.create_completion
    raise RuntimeError("the chat handler did not ask for a completion")


def instruction_tokens(llama: Llama, messages: list[dict[str, str]]) -> list[int]:
    """The tokens every call with these messages before its request starts with: the chat
    template's text up to where the request's content begins, and nothing of that content.

    Two renderings with different stand-ins for the request agree exactly up to there.
    """
    before = messages[:-1]
    role = messages[-1]["role"]
    one = rendered_prompt(llama, [*before, {"role": role, "content": "a"}])
    other = rendered_prompt(llama, [*before, {"role": role, "content": "b"}])
    return one[: llama.longest_token_prefix(one, other)]


def model_identity(model_path: Path) -> str:
    """What must match for a saved state to be read back: the model file and the library
    whose llama.cpp wrote it."""
    import llama_cpp

    stat = model_path.stat()
    return f"{model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_cpp.__version__}"


class PromptCache:
    """Saved instruction states for one model, in ``directory``."""

    def __init__(self, directory: Path, model_path: Path, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self._identity = model_identity(model_path)

    def path_for(self, tokens: Sequence[int], suffix: str = SUFFIX) -> Path:
        digest = hashlib.sha256(self._identity.encode())
        digest.update(array("i", tokens).tobytes())
        return self.directory / f"{digest.hexdigest()[:32]}{suffix}"

    def restore(self, llama: Llama, tokens: Sequence[int]) -> bool:
        """Put the saved state of ``tokens`` in the model; False if none is saved (or it
        cannot be read, or llama.cpp refuses it: then it is deleted)."""
        path = self.path_for(tokens)
        try:
            data = bytearray(path.read_bytes())
        except FileNotFoundError:
            return False
        except OSError as exc:
            logger.warning("prompt cache %s not read: %s", path, exc)
            return False
        if write_kv(llama, tokens, data):
            with contextlib.suppress(OSError):
                os.utime(path)  # the newest are kept
            return True
        logger.warning("prompt cache %s refused by llama.cpp: deleted", path)
        path.unlink(missing_ok=True)
        llama.reset()
        return False

    def save(self, llama: Llama, tokens: Sequence[int]) -> None:
        """Write the model's state, which holds exactly ``tokens``; a failure only logs."""
        self._write(self.path_for(tokens), read_kv(llama))

    def spellings(self, llama: Llama) -> list[bytes]:
        """The model's token spellings: read back when saved (and whole), else asked of
        llama.cpp and saved."""
        from .choices import token_spellings

        path = self.path_for([], SPELLINGS_SUFFIX)
        try:
            saved = _unpacked(path.read_bytes())
        except FileNotFoundError:
            saved = None  # the model's first load
        except (OSError, ValueError) as exc:
            logger.warning("token spellings %s not read: %s", path, exc)
            saved = None
        if saved is not None and len(saved) == llama.n_vocab():
            with contextlib.suppress(OSError):
                os.utime(path)  # the newest are kept
            return saved
        if saved is not None:
            logger.warning("token spellings %s are for another vocabulary", path)
        spellings = token_spellings(llama)
        self._write(path, _packed(spellings))
        return spellings

    def _write(self, path: Path, data: bytes | bytearray) -> None:
        """Write ``data`` to ``path`` whole or not at all, for the user only; a failure only
        logs: the cache saves time, it holds nothing else."""
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(scratch, path)
        except OSError as exc:
            logger.warning("prompt cache %s not written: %s", path, exc)
            scratch.unlink(missing_ok=True)
            return
        self._sweep()

    def _sweep(self) -> None:
        """Keep the ``keep`` newest states (and spellings), and drop what a killed writer
        left."""
        with contextlib.suppress(OSError):  # another process may be sweeping too
            ages = {path: path.stat().st_mtime for path in self.directory.iterdir()}
            old = time.time() - ABANDONED_S
            stale = [p for p in ages if p.suffix == ".tmp" and ages[p] < old]
            for suffix in (SUFFIX, SPELLINGS_SUFFIX):
                kept = sorted((p for p in ages if p.suffix == suffix), key=ages.get, reverse=True)
                stale += kept[self.keep :]
            for path in stale:
                path.unlink(missing_ok=True)


def _packed(spellings: Sequence[bytes]) -> bytes:
    """The spellings as their count, each one's length, then all of them run together."""
    lengths = array("I", map(len, spellings))
    return array("I", [len(lengths)]).tobytes() + lengths.tobytes() + b"".join(spellings)


def _unpacked(data: bytes) -> list[bytes]:
    """What ``_packed`` wrote; ValueError for anything else (a damaged or cut file)."""
    count = array("I")
    if len(data) < count.itemsize:
        raise ValueError("damaged file")
    count.frombytes(data[: count.itemsize])
    lengths = array("I")
    start = count.itemsize * (1 + count[0])
    lengths.frombytes(data[count.itemsize : start])
    if len(lengths) != count[0] or start + sum(lengths) != len(data):
        raise ValueError("damaged file")
    spellings, at = [], start
    for length in lengths:
        spellings.append(data[at : at + length])
        at += length
    return spellings

"""The Model Manager: which model is resident in this worker process, and when it goes.

A module-level registry without locks: every task runs in the consumer's single worker
thread, so access is sequential by construction (llama.cpp is not thread safe anyway).
Exclusive access: loading one kind first unloads every other kind, because the machine
cannot hold two models. Unloading is event driven, never timed: the last task of a backlog
calls ``cleanup_if_no_work()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, Protocol

from . import status
from .database.redis_ops import count_pending

logger = logging.getLogger(__name__)

ModelKind = Literal["llm"]


class Model(Protocol):
    def close(self) -> None: ...


def _load_llm() -> Model:
    from charlie_inference import make_lm

    # A remote model server (CHARLIE_LLM_API_BASE) holds no local memory: closing it is cheap.
    return make_lm()


LOADERS: dict[str, Callable[[], Model]] = {"llm": _load_llm}
"""How to load each kind; an embedder or reranker is one more entry here."""

MODELS: dict[str, dict[str, Any]] = {kind: {"model": None} for kind in LOADERS}
"""The registry of resident models: ``MODELS[kind]["model"]`` is the loaded model or None."""


def register_kind(kind: str, loader: Callable[[], Model]) -> None:
    """Add a model kind (embedder, reranker…) to the registry."""
    LOADERS[kind] = loader
    MODELS.setdefault(kind, {"model": None})


def get_model(kind: ModelKind | str = "llm") -> Any:
    """The resident model of ``kind``, loading it (and unloading any other kind) if needed."""
    if kind not in MODELS:
        raise ValueError(f"Unknown model kind {kind!r}; known: {sorted(MODELS)}")
    entry = MODELS[kind]
    if entry["model"] is None:
        for other in MODELS:
            if other != kind:
                unload_model(other)
        try:
            entry["model"] = LOADERS[kind]()
        except Exception as exc:
            status.publish(error=str(exc), model="")
            raise
        status.count("loads")
        status.publish(model=kind, error="")
        logger.info("loaded model %s", kind)
    return entry["model"]


def unload_model(kind: str) -> bool:
    """Close the model of ``kind`` (``close()`` really frees it). True if one was loaded."""
    entry = MODELS[kind]
    model, entry["model"] = entry["model"], None
    if model is None:
        return False
    model.close()
    status.count("unloads")
    status.publish(model="")
    logger.info("unloaded model %s", kind)
    return True


def unload_all_models() -> int:
    """Unload every resident model; returns how many were loaded."""
    return sum(unload_model(kind) for kind in list(MODELS))


def loaded_kinds() -> list[str]:
    return [kind for kind, entry in MODELS.items() if entry["model"] is not None]


def cleanup_if_no_work(queued: Callable[[], int] | None = None) -> bool:
    """Unload everything when no episode waits and no task is queued; True if it unloaded.

    ``queued`` counts queued tasks (the Huey queue's ``pending_count``); it is passed in so
    that the manager does not import the queue.
    """
    # The queue first: one LLEN, where counting pending episodes scans the whole backlog.
    if (queued is not None and queued()) or count_pending():
        return False
    return unload_all_models() > 0

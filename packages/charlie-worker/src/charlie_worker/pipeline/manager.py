"""The Model Manager: which model is resident in this worker process, and when it goes.

One ``ModelManager`` per worker process, created when the consumer starts (Huey's
``on_startup``, wired in ``tasks``) and reached through ``manager()``. No locks: every task
runs in the consumer's single worker thread, so access is sequential by construction
(llama.cpp is not thread safe anyway). Exclusive access: loading one kind first closes every
other kind, because the machine cannot hold two models (like llama-cpp-python's server, which
closes the old model before loading the new). Unloading is event driven, never timed: after
every task ``cleanup_if_no_work()`` closes everything once no entry waits.

``MODELS`` (the design document's registry, ``MODELS[kind]["model"]``) is a live view of the
process's manager.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Protocol

from charlie_worker.store import worker_state
from charlie_worker.store.episode_state import count_pending
from charlie_worker.store.queue import queued_tasks

logger = logging.getLogger(__name__)

ModelKind = Literal["llm"]


class Model(Protocol):
    def close(self) -> None: ...


def load_llm() -> Model:
    """The LLM the settings name: a local GGUF, or a remote server (which holds no memory)."""
    from charlie_inference import make_lm

    return make_lm()


class ModelManager:
    """The resident models of one worker process, one at a time."""

    def __init__(self, loaders: Mapping[str, Callable[[], Model]] | None = None) -> None:
        self.loaders: dict[str, Callable[[], Model]] = dict(loaders or {"llm": load_llm})
        """How to load each kind; an embedder or reranker is one more entry here."""
        self.models: dict[str, dict[str, Any]] = {kind: {"model": None} for kind in self.loaders}

    def register_kind(self, kind: str, loader: Callable[[], Model]) -> None:
        """Add a model kind (embedder, reranker…)."""
        self.loaders[kind] = loader
        self.models.setdefault(kind, {"model": None})

    def get(self, kind: ModelKind | str = "llm") -> Any:
        """The resident model of ``kind``, loading it (and closing any other kind) if needed."""
        if kind not in self.models:
            raise ValueError(f"Unknown model kind {kind!r}; known: {sorted(self.models)}")
        entry = self.models[kind]
        if entry["model"] is None:
            for other in self.models:
                if other != kind:
                    self.unload(other)
            worker_state.doing("loading")
            try:
                entry["model"] = self.loaders[kind]()
            except Exception as exc:
                worker_state.publish(error=str(exc), model="", activity="")
                raise
            worker_state.count("loads")
            worker_state.publish(model=kind, error="", activity="reading")
            logger.info("loaded model %s", kind)
        return entry["model"]

    def unload(self, kind: str) -> bool:
        """Close the model of ``kind`` (``close()`` really frees it). True if one was loaded."""
        entry = self.models[kind]
        model, entry["model"] = entry["model"], None
        if model is None:
            return False
        worker_state.doing("unloading")
        model.close()
        worker_state.count("unloads")
        worker_state.publish(model="", activity="")
        worker_state.backlog_done()
        logger.info("unloaded model %s", kind)
        return True

    def unload_all(self) -> int:
        """Unload every resident model; returns how many were loaded."""
        return sum(self.unload(kind) for kind in list(self.models))

    def loaded_kinds(self) -> list[str]:
        return [kind for kind, entry in self.models.items() if entry["model"] is not None]

    def cleanup_if_no_work(self) -> bool:
        """Unload everything when no task is queued and no entry waits; True if it unloaded.

        A backlog keeps the model warm; the task that ends it closes the model.
        """
        if not self.loaded_kinds():
            return False
        # The queue first: one LLEN, where counting pending entries scans the whole backlog.
        if queued_tasks() or count_pending():
            return False
        return self.unload_all() > 0


_manager: ModelManager | None = None


def manager() -> ModelManager:
    """This process's manager (created on first use; the consumer creates it at startup)."""
    global _manager
    if _manager is None:
        _manager = ModelManager()
    return _manager


def get_model(kind: ModelKind | str = "llm") -> Any:
    """The design document's name for ``manager().get(kind)``: tasks reach models only so."""
    return manager().get(kind)


class _ModelsView(Mapping[str, dict[str, Any]]):
    """``MODELS[kind]["model"]``: the process manager's registry, read live."""

    def __getitem__(self, kind: str) -> dict[str, Any]:
        return manager().models[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(manager().models)

    def __len__(self) -> int:
        return len(manager().models)


MODELS: Mapping[str, dict[str, Any]] = _ModelsView()
"""The registry of resident models: ``MODELS[kind]["model"]`` is the loaded model or None."""

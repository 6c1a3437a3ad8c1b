"""charlie-inference: the stateless model factory.

Knows how to load a local GGUF and run DSPy programs on it; holds no opinion on
when or for how long a model is kept. Nothing heavy is imported here: ``dspy``
and ``llama_cpp`` load on first use of the names that need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .loader import ModelLoadError, check_model_file, load_model
from .settings import ModelSettings, bundled_model_path, data_dir

if TYPE_CHECKING:
    from .lm import DspyLM, make_lm
    from .programs.entity_extractor import (
        ENTITY_TYPES,
        Chunk,
        ContextWindowError,
        Entity,
        EntityExtractor,
        ExtractionError,
        FreeformEntityExtractor,
        ProgramStateError,
        chunks_of,
        clean_entities,
        load_extractor,
        normalize_name,
    )
    from .programs.entity_matcher import EntityMatcher
    from .remote import ModelServerError

_LAZY = {
    "DspyLM": ".lm",
    "make_lm": ".lm",
    "ENTITY_TYPES": ".programs.entity_extractor",
    "Chunk": ".programs.entity_extractor",
    "ContextWindowError": ".programs.entity_extractor",
    "Entity": ".programs.entity_extractor",
    "EntityExtractor": ".programs.entity_extractor",
    "EntityMatcher": ".programs.entity_matcher",
    "ExtractionError": ".programs.entity_extractor",
    "FreeformEntityExtractor": ".programs.entity_extractor",
    "ProgramStateError": ".programs.entity_extractor",
    "ModelServerError": ".remote",
    "chunks_of": ".programs.entity_extractor",
    "clean_entities": ".programs.entity_extractor",
    "load_extractor": ".programs.entity_extractor",
    "normalize_name": ".programs.entity_extractor",
}

__all__ = [
    "ENTITY_TYPES",
    "Chunk",
    "ContextWindowError",
    "DspyLM",
    "Entity",
    "EntityExtractor",
    "EntityMatcher",
    "ExtractionError",
    "FreeformEntityExtractor",
    "ModelLoadError",
    "ModelServerError",
    "ModelSettings",
    "ProgramStateError",
    "bundled_model_path",
    "check_model_file",
    "chunks_of",
    "clean_entities",
    "data_dir",
    "load_extractor",
    "load_model",
    "make_lm",
    "normalize_name",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

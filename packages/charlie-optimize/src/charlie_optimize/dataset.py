"""The labelled journal entries the optimizers learn from and are scored on.

One JSON object per line: ``text``, gold ``entities`` (``name`` exactly as written
in the text, ``type`` one of Person/Place/Organization/Thing) and optionally a
fixed ``split`` (``train`` or ``val``), so that scores stay comparable across runs.

Labelling conventions of the shipped set: named people (with a title if written,
"Dr. Okafor"); kinship words alone ("Dad", "Nan") are not names. Places are
cities, areas, streets and venues (parks, hospitals, hotels, restaurants).
Organizations are companies, web platforms, schools, banks and agencies. Things
are named products, works, holidays and events.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from charlie_inference import ENTITY_TYPES

if TYPE_CHECKING:
    import dspy

Split = Literal["train", "val"]
SPLITS: tuple[Split, ...] = ("train", "val")


class DatasetError(ValueError):
    """The data file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class GoldEntity:
    name: str
    type: str


@dataclass(frozen=True)
class Entry:
    """One labelled journal entry."""

    text: str
    entities: tuple[GoldEntity, ...]
    split: Split | None = None
    id: str = ""


def default_data_path() -> Path:
    """The dataset shipped inside this package."""
    return Path(str(resources.files("charlie_optimize") / "data" / "entries.jsonl"))


WNUT_ENV = "CHARLIE_WNUT_PATH"
WNUT_SPLITS = {"train": "train", "dev": "val"}
"""WNUT-17's splits as ours: its dev split is our val. Its test split is not in the file, on
purpose (it scores the product): never tune on it."""


def default_wnut_path() -> Path:
    """WNUT-17 train and dev (``$CHARLIE_WNUT_PATH``, else ``../shared/data/wnut17.jsonl``
    beside the repository). Source: Derczynski et al. (2017), W-NUT shared task, CC-BY 4.0."""
    if os.environ.get(WNUT_ENV):
        return Path(os.environ[WNUT_ENV])
    repo = Path(__file__).resolve().parents[4]
    return repo.parent / "shared" / "data" / "wnut17.jsonl"


def load_wnut(path: Path | None = None) -> list[Entry]:
    """WNUT-17 rows as entries (dev → ``val``). Only Person, Place and Organization are in its
    gold (creative works and products are left out), so score it on those three types."""
    path = path or default_wnut_path()
    if not path.is_file():
        raise DatasetError(f"no WNUT-17 data at {path} (set {WNUT_ENV} or pass --wnut PATH)")
    return _read_jsonl(path, _parse_wnut)


def _parse_wnut(record: object) -> Entry:
    split = record.get("split") if isinstance(record, dict) else None
    if split not in WNUT_SPLITS:
        raise ValueError(f"'split' must be one of {tuple(WNUT_SPLITS)}, not {split!r}")
    return parse_entry({**record, "split": WNUT_SPLITS[split]})  # type: ignore[dict-item]


def _read_jsonl(path: Path, parse: Callable[[object], Entry]) -> list[Entry]:
    """Every non-blank line of ``path`` parsed; a bad one fails with its line number."""
    entries = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entries.append(parse(json.loads(line)))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError too
                raise DatasetError(f"{path}:{number}: {exc}") from exc
    return entries


def parse_entry(record: object) -> Entry:
    """Validate one decoded JSON line into an ``Entry``."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    split = record.get("split")
    if split is not None and split not in SPLITS:
        raise ValueError(f"'split' must be one of {SPLITS}, not {split!r}")
    raw_entities = record.get("entities")
    if not isinstance(raw_entities, list):
        raise ValueError("'entities' must be a list")
    entities = []
    for item in raw_entities:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError(f"bad entity {item!r}: needs a string 'name'")
        if item.get("type") not in ENTITY_TYPES:
            raise ValueError(f"bad entity type {item.get('type')!r}: use one of {ENTITY_TYPES}")
        entities.append(GoldEntity(name=item["name"], type=item["type"]))
    return Entry(text=text, entities=tuple(entities), split=split, id=str(record.get("id", "")))


def load_entries(path: Path) -> list[Entry]:
    """Read a JSONL data file, failing with the line number of the first bad record."""
    entries = _read_jsonl(path, parse_entry)
    if not entries:
        raise DatasetError(f"{path}: no entries")
    return entries


def split_entries(
    entries: list[Entry], val_fraction: float | None = None, seed: int = 0
) -> tuple[list[Entry], list[Entry]]:
    """Train and val entries: the file's own split, or a seeded random one.

    The file's split is used unless ``val_fraction`` is given or some entry has no
    split; a random split then takes ``val_fraction`` (default 0.3) for val.
    """
    if val_fraction is None and all(entry.split is not None for entry in entries):
        return (
            [e for e in entries if e.split == "train"],
            [e for e in entries if e.split == "val"],
        )
    fraction = 0.3 if val_fraction is None else val_fraction
    if not 0.0 < fraction < 1.0:
        raise DatasetError(f"the val fraction must be between 0 and 1, not {fraction}")
    shuffled = list(entries)
    random.Random(seed).shuffle(shuffled)
    n_val = min(len(shuffled) - 1, max(1, round(len(shuffled) * fraction)))
    return shuffled[n_val:], shuffled[:n_val]


def to_example(entry: Entry) -> dspy.Example:
    """The entry as a DSPy example: ``text`` in, gold ``entities`` (plain dicts) out.

    Plain dicts, not ``Entity`` models, because that is what a saved and reloaded
    demo holds: the program is then the same before and after the state file.
    """
    import dspy

    entities = [{"name": e.name, "type": e.type} for e in entry.entities]
    candidates, types = candidate_labels(entry)
    return dspy.Example(
        text=entry.text, entities=entities, candidates=candidates, types=types
    ).with_inputs("text")


def candidate_labels(entry: Entry) -> tuple[list[str], dict[str, str]]:
    """The candidates the typing program would ask the model about, with their gold types
    ("None" for a candidate that is no gold entity): what a labelled demo of it shows."""
    from charlie_inference.programs.entity_extractor import MAX_ASKED, asked_candidates
    from charlie_inference.programs.names import normalize_name

    gold = {normalize_name(e.name): e.type for e in entry.entities}
    asked = [c.name for c in asked_candidates(entry.text)][:MAX_ASKED]
    return asked, {name: gold.get(normalize_name(name), "None") for name in asked}

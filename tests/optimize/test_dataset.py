from __future__ import annotations

import json
from pathlib import Path

import pytest

from charlie_inference import ENTITY_TYPES
from charlie_inference.programs.entity_extractor import normalize_name
from charlie_optimize.dataset import (
    DatasetError,
    Entry,
    default_data_path,
    load_entries,
    split_entries,
    to_example,
)


def test_shipped_dataset_is_well_formed() -> None:
    entries = load_entries(default_data_path())
    assert len(entries) >= 48
    train, val = split_entries(entries)
    assert len(train) + len(val) == len(entries)
    assert len(val) >= 12 and len(train) >= 24
    assert sum(not e.entities for e in entries) >= 4
    assert {t for e in entries for t in (x.type for x in e.entities)} == set(ENTITY_TYPES)
    for entry in entries:
        names = [normalize_name(x.name) for x in entry.entities]
        assert len(names) == len(set(names)), entry.id
        for entity in entry.entities:
            assert entity.name in entry.text, (entry.id, entity.name)


def test_random_split_is_seeded(tmp_path: Path) -> None:
    entries = [Entry(text=f"entry {i}", entities=()) for i in range(10)]
    train, val = split_entries(entries, val_fraction=0.3, seed=1)
    assert (len(train), len(val)) == (7, 3)
    assert split_entries(entries, val_fraction=0.3, seed=1) == (train, val)
    assert split_entries(entries, val_fraction=0.3, seed=2) != (train, val)


def test_bad_record_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"text": "Met Ana.", "entities": [{"name": "Ana", "type": "Person"}]}
    bad = {"text": "Met Bo.", "entities": [{"name": "Bo", "type": "Human"}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: .*Human"):
        load_entries(path)


def test_example_holds_plain_dicts() -> None:
    entry = load_entries(default_data_path())[0]
    example = to_example(entry)
    assert list(example.inputs().keys()) == ["text"]
    assert example.entities == [{"name": e.name, "type": e.type} for e in entry.entities]

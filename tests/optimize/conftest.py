"""Every test runs against temporary data and state paths, never the user's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from charlie_optimize.dataset import default_data_path


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tmp data dir and program state; short answers so a looping 135M model stays quick."""
    state = tmp_path / "programs" / "entity_extractor.json"
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHARLIE_LLM_PROGRAM_STATE", str(state))
    monkeypatch.setenv("CHARLIE_LLM_MAX_TOKENS", "128")
    monkeypatch.setenv("CHARLIE_LLM_THREADS", "1")
    return state


@pytest.fixture
def make_data(tmp_path: Path) -> Callable[[int, int], Path]:
    """A data file with the first ``n_train`` train and ``n_val`` val entries of the shipped set."""

    def make(n_train: int, n_val: int) -> Path:
        records = [json.loads(line) for line in default_data_path().read_text().splitlines()]
        train = [r for r in records if r["split"] == "train"][:n_train]
        val = [r for r in records if r["split"] == "val"][:n_val]
        path = tmp_path / f"data-{n_train}-{n_val}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in train + val))
        return path

    return make

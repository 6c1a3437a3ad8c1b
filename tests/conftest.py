"""Shared fixtures: every test runs against a private data dir, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A temp CHARLIE_DATA_DIR and program-state path for each test, unless a test sets its own."""
    path = tmp_path_factory.mktemp("charlie-data")
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(path))
    monkeypatch.setenv(
        "CHARLIE_LLM_PROGRAM_STATE", str(path / "programs" / "entity_extractor.json")
    )
    yield path

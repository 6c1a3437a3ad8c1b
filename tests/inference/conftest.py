"""One real model per test session: loading is cheap, but not free."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charlie_inference import DspyLM, ModelSettings


@pytest.fixture(scope="session")
def lm() -> Iterator[DspyLM]:
    model = DspyLM(ModelSettings())
    yield model
    model.close()

"""charlie-inference is useful alone: installed without its siblings, it extracts entities."""

from __future__ import annotations

from pathlib import Path

import pytest

SCRIPT = """
import dspy
from charlie_inference import DspyLM, EntityExtractor
lm = DspyLM()
with dspy.context(lm=lm):
    entities = EntityExtractor()(text="Today I met Sarah at the cafe.").entities
lm.close()
print("ENTITIES", [(e.name, e.type) for e in entities])
"""


@pytest.mark.slow
def test_inference_installs_and_extracts_alone(tmp_path: Path, package_venv, run_in) -> None:
    python = package_venv("charlie-inference", tmp_path / "venv", with_llama_cpp=True)
    result = run_in(python, SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "ENTITIES" in result.stdout
    for sibling in ("charlie_worker", "charlie_optimize", "charlie_tui"):
        assert run_in(python, f"import {sibling}").returncode != 0, sibling
    # Its own command works there too: the catalogue, and the smoke test on the bundled model.
    command = "from charlie_inference.cli import main; raise SystemExit(main([{!r}]))"
    listed = run_in(python, command.format("models"))
    assert listed.returncode == 0 and "qwen3-4b" in listed.stdout, listed.stderr
    checked = run_in(python, command.format("check"))
    assert checked.returncode == 0 and "entities:" in checked.stdout, checked.stderr

"""charlie-inference is useful alone: pip-install it into a fresh venv and extract there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

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
def test_inference_installs_and_extracts_alone(tmp_path: Path) -> None:
    # A non-editable install of the package and its locked dependencies only, from uv's
    # cache (`uv pip install` would resolve afresh and recompile llama-cpp-python).
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    subprocess.run(
        [
            "uv",
            "sync",
            "--locked",
            "--package",
            "charlie-inference",
            "--no-dev",
            "--no-editable",
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        env=env,
        timeout=900,
    )
    python = venv / "bin" / "python"
    result = subprocess.run(
        [python, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "ENTITIES" in result.stdout
    siblings = subprocess.run([python, "-c", "import charlie_worker"], capture_output=True)
    assert siblings.returncode != 0

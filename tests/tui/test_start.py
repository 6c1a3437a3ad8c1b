"""What the first frame is spared (bench ``ui_start`` measures the time): the screens it does
not show are imported only when opened.

Not timing: the imports are read from ``sys.modules`` of a fresh process (pytest has
imported every screen already).
"""

from __future__ import annotations

import json
import subprocess
import sys

LATER_SCREENS = {
    f"charlie_tui.screens.{name}"
    for name in (
        "blocked",
        "confirm",
        "correcting",
        "correction_dialogs",
        "editor",
        "entities",
        "entity",
        "entry",
        "importing",
        "problem",
        "worker_log",
    )
}
"""Every screen but the entry list, the first one."""
THEIR_WIDGETS = {"textual.widgets._text_area", "textual.widgets._log"}
"""Textual widgets only those screens use (the editor's and the worker log's)."""


def test_the_app_imports_only_the_first_screen() -> None:
    code = "import json, sys\nimport charlie_tui.cli, charlie_tui.app\n"
    code += "print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))

    assert "charlie_tui.screens.entries" in loaded
    assert loaded & LATER_SCREENS == set()
    assert loaded & THEIR_WIDGETS == set()

"""The package READMEs' examples run: each one marked runnable is executed as written.

A runnable example is a fenced ``python`` block directly after the comment
``<!-- example -->`` (``<!-- example slow -->`` when it runs the real model). Each runs in a
fresh interpreter on a private, not yet existing data dir, and must exit 0 leaving no
redis-server behind: an example that opens the database must close it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kit.processes import assert_no_server_left

ROOT = Path(__file__).resolve().parents[1]
READMES = sorted(ROOT.glob("packages/*/README.md"))
EXAMPLE = re.compile(r"^<!-- example( slow)? -->\n```python\n(.*?)^```$", re.M | re.S)
MUST_TEACH = {"charlie-inference", "charlie-worker", "charlie-optimize"}
"""Packages with a Python API, whose README must show it in at least one runnable example."""

# Settings of the calling shell that would point an example at someone else's database or model.
FOREIGN_SETTINGS = (
    "CHARLIE_REDIS_SOCKET",
    "CHARLIE_PARENT_PID",
    "CHARLIE_FALKORDB_URL",
    "CHARLIE_APPENDFSYNC",
    "CHARLIE_MAX_ENTRY_CHARS",
    "CHARLIE_LLM_MODEL_PATH",
    "CHARLIE_LLM_API_BASE",
    "CHARLIE_LLM_N_CTX",
    "CHARLIE_LLM_MAX_TOKENS",
)


def examples(readme: Path) -> list[tuple[str, bool]]:
    """``(code, slow)`` of each runnable example in ``readme``, in order."""
    return [(code, bool(slow)) for slow, code in EXAMPLE.findall(readme.read_text())]


def _cases() -> list[object]:
    cases = []
    for readme in READMES:
        package = readme.parent.name
        for number, (code, slow) in enumerate(examples(readme), start=1):
            marks = [pytest.mark.slow] if slow else []
            cases.append(pytest.param(readme, code, id=f"{package}-{number}", marks=marks))
    return cases


def test_every_package_with_an_api_has_a_runnable_example() -> None:
    found = {readme.parent.name for readme in READMES if examples(readme)}
    assert found >= MUST_TEACH, f"no runnable example in {sorted(MUST_TEACH - found)}"


def test_the_marker_is_only_used_before_a_python_block() -> None:
    """A marked block that the pattern misses (wrong fence, blank line) would silently rot."""
    for readme in READMES:
        text = readme.read_text()
        assert text.count("<!-- example") == len(examples(readme)), readme


@pytest.mark.parametrize(("readme", "code"), _cases())
def test_readme_example_runs(readme: Path, code: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS}
    env["CHARLIE_DATA_DIR"] = str(data)
    env["CHARLIE_LLM_PROGRAM_STATE"] = str(data / "programs" / "entity_extractor.json")
    script = tmp_path / "example.py"
    script.write_text(code)
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        assert_no_server_left(tmp_path, timeout=10)
    assert result.returncode == 0, (
        f"the example in {readme.relative_to(ROOT)} failed ({result.returncode}):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    assert result.stdout.strip(), "an example shows what it does: it prints something"

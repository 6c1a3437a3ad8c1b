"""ctrl+c during a real optimization saves what there is and exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).parent / "charlie-optimize"


def test_sigint_during_bootstrap_saves_partial_demos(tmp_path: Path) -> None:
    output = tmp_path / "partial.json"
    # The whole shipped train set with room for 8 demos: far longer than the test waits.
    process = subprocess.Popen(
        [str(CLI), "bootstrap", "--max-demos", "8", "--output", str(output)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with SIGINT ignored, which Python would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    started = process.stderr.readline()  # printed just before the model loads
    assert "ctrl+c" in started
    time.sleep(6)  # into bootstrapping; the interrupt lands when the current model call returns
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted" in err and "saved the best so far" in err
    demos = json.loads(output.read_text())["classify"]["demos"]
    assert len(demos) == 8  # bootstrapped so far, topped up with labelled ones
    assert not list(tmp_path.glob(".*.partial.json"))

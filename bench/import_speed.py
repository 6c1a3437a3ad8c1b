"""``charlie-tui import dayone`` on a generated export: entries per second, end to end.

Why: an import of years of Day One must be one command that finishes while the user waits.
This times the command as a user runs it (a fresh process; the embedded server started by it
and shut down at its end; AOF with ``appendfsync always``), on a zip of ``--n`` entries built
by the test kit, then once more to time a re-import (everything already there).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, private_data_dir
from kit.sources import dayone_zip, generated_dayone


def timed_import(source: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "charlie_tui.cli", "import", "dayone", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="entries in the export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, private_data_dir():
        source = dayone_zip(Path(tmp) / "export.zip", generated_dayone(args.n))
        first, said = timed_import(source)
        again, said_again = timed_import(source)
    print(machine())
    print(f"import of {args.n} entries: {first:.2f} s ({args.n / first:.0f} entries/s): {said}")
    print(f"re-import: {again:.2f} s ({args.n / again:.0f} entries/s): {said_again}")
    print(f"summary: {args.n / first:.0f} entries/s imported, {args.n / again:.0f} checked")


if __name__ == "__main__":
    main()

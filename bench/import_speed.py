"""``charlie-tui import dayone`` on a generated export: entries per second, end to end.

Why: an import of years of Day One must be one command that finishes while the user waits.
This times the command as a user runs it (a fresh process; the embedded server started by it
and shut down at its end; AOF with ``appendfsync always``), on a zip of ``--n`` entries built
by the test kit, then once more to time a re-import (everything already there).

``--before REV`` times the same commands on the packages of commit ``REV`` too (``code_at``),
each run on a fresh journal, in ABBA order over ``--reps`` repetitions: a before/after ratio
measured in one run, so the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import alternating, code_at, machine, median, private_data_dir, ratio, table
from kit.sources import dayone_zip, generated_dayone

NOW = "now"


def timed_import(source: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "charlie_tui.cli", "import", "dayone", str(source)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return time.perf_counter() - started, result.stdout.strip().splitlines()[-1]


def import_twice(source: Path, env: dict[str, str]) -> tuple[float, float, str, str]:
    """An import into a fresh journal, then a re-import of the same zip: seconds and what
    the command said each time."""
    with private_data_dir():
        first, said = timed_import(source, env)
        again, said_again = timed_import(source, env)
    return first, again, said, said_again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="entries in the export")
    parser.add_argument("--before", metavar="REV", help="also time the code of commit REV")
    parser.add_argument(
        "--reps", type=int, default=1, help="repetitions of each code, ABBA order (default 1)"
    )
    args = parser.parse_args()
    codes = [NOW, *([args.before] if args.before else [])]
    times: dict[str, list[tuple[float, float]]] = {code: [] for code in codes}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        envs = {code: {} if code == NOW else stack.enter_context(code_at(code)) for code in codes}
        source = dayone_zip(Path(tmp) / "export.zip", generated_dayone(args.n))
        for rep, code in alternating(codes, args.reps):
            first, again, said, said_again = import_twice(source, envs[code])
            times[code].append((first, again))
            print(f"{code} #{rep}: {first:.2f} s: {said}; again {again:.2f} s: {said_again}")
    print(machine())
    rates = {
        code: (args.n / median([f for f, _ in runs]), args.n / median([a for _, a in runs]))
        for code, runs in times.items()
    }
    rows = [[code, f"{new:.0f}", f"{checked:.0f}"] for code, (new, checked) in rates.items()]
    print(table(["code", "imported entries/s", "re-import entries/s"], rows))
    summary = f"summary: {rates[NOW][0]:.0f} entries/s imported, {rates[NOW][1]:.0f} checked"
    if args.before:
        before = rates[args.before]
        summary += (
            f"; now/before ({args.before}, reps {args.reps}): import"
            f" {ratio(rates[NOW][0], before[0]):.2f}x, re-import"
            f" {ratio(rates[NOW][1], before[1]):.2f}x"
        )
    print(summary)


if __name__ == "__main__":
    main()

"""Run the real app headless, with its real worker, in its own process (process tests).

Waits until the worker reports running (and, with ``--save``, types and saves an entry, then
waits for ``--until``), prints one JSON line about the process, then presses q with
``--quit`` or keeps running until a signal ends it. The exit code is the app's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from textual.pilot import Pilot

from charlie_tui.app import CharlieApp
from charlie_worker.store.connection import server_pid

HEAVY = ("dspy", "llama_cpp", "charlie_inference", "charlie_worker.pipeline")
"""Model code, and the worker's pipeline that loads it: never in the UI process."""


def is_heavy(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in HEAVY)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--save", help="an entry to write with the keyboard")
    parser.add_argument("--until", choices=["saved", "model-error", "done"], default="saved")
    parser.add_argument("--quit", action="store_true")
    parser.add_argument("--timeout", type=float, default=120)
    return parser.parse_args()


def main() -> int:
    args = parse()
    app = CharlieApp(graceful_timeout=5)

    def reached() -> bool:
        snapshot = app.status_view.snapshot
        if snapshot is None or not snapshot.worker.running:
            return False
        if args.until == "model-error":
            return bool(snapshot.worker.error)
        if args.until == "done":
            rows = app.screen.query("EntryTable").first().get_row_at(0) if args.save else []
            return bool(rows) and rows[1].plain == "● done"
        return True

    async def probe(pilot: Pilot) -> None:
        deadline = time.monotonic() + args.timeout
        while not (app.status_view.snapshot and app.status_view.snapshot.worker.running):
            assert time.monotonic() < deadline, "the worker never reported running"
            await pilot.pause(0.1)
        if args.save:
            await pilot.press("ctrl+n", *args.save, "ctrl+s")
        while not reached():
            assert time.monotonic() < deadline, f"never reached {args.until}"
            await pilot.pause(0.1)
        snapshot = app.status_view.snapshot
        assert snapshot is not None and snapshot.process is not None
        table = app.screen.query("EntryTable").first()
        report = {
            "ui": os.getpid(),
            "worker": snapshot.process.pid,
            "redis": server_pid(),
            "heavy": sorted(m for m in sys.modules if is_heavy(m)),
            "model_error": snapshot.worker.error,
            "status": [str(label.render()) for label in app.screen.query("StatusBar Label")],
            "rows": [[c.plain for c in table.get_row(r.entry.uuid)] for r in table.entries],
        }
        print(json.dumps(report), flush=True)
        if args.quit:
            await pilot.press("q")

    app.run(headless=True, size=(120, 30), auto_pilot=probe)
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())

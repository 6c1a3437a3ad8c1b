"""UI responsiveness while the real worker reads a backlog: key press → screen updated.

Why: the worker shares 2 cores with the UI. It runs at idle CPU priority (SCHED_IDLE) with
one llama.cpp thread so the UI stays responsive; this checks that claim. The real app
(``CharlieApp``, which starts the real worker on its database) runs headless in this process
and down/up are pressed in the entry list, two ways, alternating:

* "frame": the key event is posted as the pilot does, and the sample ends when the app
  composes the first frame showing the moved cursor (a wrapper on ``App._display``, which
  headless Textual still calls for every screen update);
* "pilot": ``await pilot.press(key)`` + ``await pilot.pause()``, as the tests do. Textual's
  pilot waits for the process to look idle in 20 ms sleeps, so this has a floor of tens of
  ms that is the pilot's, not the app's.

Phases alternate in one run (ABBA): "idle" (worker running, nothing to read, model
unloaded) and "busy" (a fresh backlog queued, the model loaded and extracting: samples are
taken only while it is). The worker's and the UI's CPU use during each phase are printed
with them, and how often the whole list was redrawn (the UI's own work under load).
``--compare-priority`` adds a busy phase with the worker's threads at nice 10 (as before
SCHED_IDLE), set from here on each of its threads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from _common import (
    alternating,
    entry_texts,
    leftover_processes,
    machine,
    median,
    percentile,
    private_db,
    ratio,
    redis_servers_under,
    table,
    unfinished,
)

SIZE = (120, 30)
STALL_MS = 50
ROOT = str(Path(__file__).resolve().parent.parent)
IDLE_FRAMES = {"wait", "_worker", "select", "_wait_for_tstate_lock"}
"""Innermost frames of a thread that is waiting, not running: not a cause of a stall."""
LOW = "busy, worker nice 10"
"""The extra phase of ``--compare-priority``: the worker as it ran before SCHED_IDLE."""


def phases_of(args: argparse.Namespace) -> list[str]:
    return ["idle", "busy", *([LOW] if args.compare_priority else [])]


def is_ours(filename: str) -> bool:
    """A file of this repository (the packages, the bench), not of a library."""
    return filename.startswith(ROOT) and f"{os.sep}.venv{os.sep}" not in filename


class StallWatch:
    """Where the UI's event loop is when it stalls during a press: a loop task stamps the time
    every 5 ms, a thread looks every 5 ms and, while a press waits for its frame and the stamp
    is more than ``STALL_MS`` old, samples where each running thread of this process is (the
    loop's, and whoever holds the GIL): its innermost frame and the innermost of ours."""

    def __init__(self) -> None:
        self.phase = "idle"
        self.pressing = False
        self.sites: dict[tuple[str, str], int] = {}
        self._stamp = time.perf_counter()
        self._stop = threading.Event()

    async def beat(self) -> None:
        while not self._stop.is_set():
            self._stamp = time.perf_counter()
            await asyncio.sleep(0.005)

    def watch(self) -> None:
        loop_thread = threading.main_thread().ident
        while not self._stop.wait(0.005):
            if not self.pressing or (time.perf_counter() - self._stamp) * 1000 < STALL_MS:
                continue
            for ident, frame in sys._current_frames().items():
                stack = traceback.extract_stack(frame)
                if ident == threading.get_ident() or stack[-1].name in IDLE_FRAMES:
                    continue
                ours = next((f for f in reversed(stack) if is_ours(f.filename)), stack[-1])
                where = " < ".join(
                    f"{Path(f.filename).name}:{f.name}:{f.lineno}" for f in (stack[-1], ours)
                )
                who = "loop" if ident == loop_thread else "thread"
                key = (self.phase, f"{who}: {where}")
                self.sites[key] = self.sites.get(key, 0) + 1

    def stop(self) -> None:
        self._stop.set()

    def report(self, top: int = 6) -> str:
        lines = [f"where the event loop was while stalled over {STALL_MS} ms (5 ms samples):"]
        for phase in dict.fromkeys(p for p, _ in self.sites):
            ranked = sorted(
                ((n, site) for (p, site), n in self.sites.items() if p == phase), reverse=True
            )
            lines.append(f"  {phase}:")
            lines += [f"    {n:4d}  {site}" for n, site in ranked[:top]]
        return "\n".join(lines)


def prioritise(worker: Any, *, low: bool) -> None:
    """Every thread of the worker at nice 10 (``low``) or at its own setting (SCHED_IDLE):
    on Linux each thread has its own policy, so each one is set."""

    for thread in worker.threads():
        if low:
            os.sched_setscheduler(thread.id, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, thread.id, 10)
        else:
            os.sched_setscheduler(thread.id, os.SCHED_IDLE, os.sched_param(0))


def seed_done(n: int) -> None:
    """``n`` entries already read, so the list has rows to move through."""
    from charlie_worker.store.entries import add_entry
    from charlie_worker.store.episode_state import remove_episode_from_queue

    for text in entry_texts(n):
        remove_episode_from_queue(add_entry(text))  # saved (not queued) and read: no entities


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the app with its worker; per phase and method, press latencies; the worker's CPU."""
    import psutil
    from textual import events

    from charlie_tui.app import CharlieApp
    from charlie_tui.widgets.entry_table import EntryTable
    from charlie_worker.store.journal import save_entry
    from charlie_worker.store.worker_state import read_status

    samples: dict[tuple[str, str], list[float]] = {}
    phases = phases_of(args)
    cpu: dict[str, list[float]] = {phase: [] for phase in phases}
    ui_cpu: dict[str, list[float]] = {phase: [] for phase in phases}
    redraws: dict[str, int] = dict.fromkeys(phases, 0)
    """Whole-list redraws (``EntryTable.show``) per phase: the UI's own work under load."""
    missed = 0
    app = CharlieApp()
    stalls = StallWatch()
    async with app.run_test(size=SIZE) as pilot:
        beat = asyncio.create_task(stalls.beat())
        watcher = threading.Thread(target=stalls.watch, daemon=True)
        watcher.start()

        async def until(condition: Any, timeout: float, what: str) -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"timed out waiting for {what}")
                await pilot.pause(0.1)

        def worker_pid() -> int | None:
            process = app.runtime.process
            return process.state().pid if process else None

        def table() -> EntryTable:
            return app.screen.query_one(EntryTable)

        await until(lambda: read_status().running and worker_pid(), 60, "the worker")
        await until(lambda: table().row_count >= 2, 30, "the entry list")
        worker = psutil.Process(worker_pid())
        ui = psutil.Process()
        show = EntryTable.show
        phase_now = ["idle"]

        def counted_show(self: EntryTable, *args: Any, **kwargs: Any) -> None:
            redraws[phase_now[0]] += 1
            show(self, *args, **kwargs)

        EntryTable.show = counted_show  # type: ignore[method-assign]

        def highlighted() -> str | None:
            row = table().highlighted
            return row.entry.uuid if row else None

        # The first composed frame showing the cursor on another entry ends a sample.
        waiting: dict[str, Any] = {}
        display = app._display

        def display_and_stamp(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and waiting and highlighted() != waiting["from"]:
                waiting.pop("done").set_result(time.perf_counter())
                waiting.clear()

        app._display = display_and_stamp  # type: ignore[method-assign]

        async def press_frame(key: str, start: str | None) -> float | None:
            done = asyncio.get_running_loop().create_future()
            waiting.update({"from": start, "done": done})
            start = time.perf_counter()
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)  # what pilot.press does, without its idle waits
            try:
                return (await asyncio.wait_for(done, 5.0)) - start
            except TimeoutError:  # a reload moved the cursor elsewhere meanwhile
                waiting.clear()
                return None

        async def press_pilot(key: str, start: str | None) -> float | None:
            start = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            return time.perf_counter() - start

        backlog_texts = entry_texts(args.seed + args.backlog)[args.seed :]
        for rep, phase in alternating(phases, args.reps):
            if phase != "idle":
                if args.compare_priority:
                    prioritise(worker, low=phase == LOW)
                uuids = [save_entry(text) for text in backlog_texts]
                await until(lambda: read_status().model != "", 120, "the model to load")

                def still_busy(uuids: list[str] = uuids) -> bool:
                    return bool(unfinished(uuids)) and read_status().model != ""

            else:
                await until(lambda: read_status().model == "", 300, "the backlog to drain")

                def still_busy() -> bool:
                    return True

            phase_now[0] = stalls.phase = phase
            worker.cpu_percent()  # start the interval
            ui.cpu_percent()
            taken = 0
            while taken < args.presses and still_busy():
                method = ("frame", "pilot")[taken % 2]
                # Between the first two entries (the row above the first is a heading).
                start = highlighted()
                key = "down" if start == table().entries[0].entry.uuid else "up"
                press = press_frame if method == "frame" else press_pilot
                stalls.pressing = True
                took = await press(key, start)
                stalls.pressing = False
                if took is None:
                    missed += 1
                else:
                    samples.setdefault((phase, method), []).append(took * 1000)
                taken += 1
                await pilot.pause(args.gap)
            cpu[phase].append(worker.cpu_percent())
            ui_cpu[phase].append(ui.cpu_percent())
            print(
                f"rep {rep} {phase}: {taken} presses, frame p50 "
                f"{median(samples.get((phase, 'frame'), [])):.1f} ms (so far), "
                f"worker CPU {cpu[phase][-1]:.0f}%, UI CPU {ui_cpu[phase][-1]:.0f}%",
                flush=True,
            )
        app._display = display  # type: ignore[method-assign]
        EntryTable.show = show  # type: ignore[method-assign]
        await pilot.press("q")
        await until(lambda: app.return_code is not None, 60, "the app to quit")
        stalls.stop()
        await beat
    return {
        "samples": samples,
        "cpu": cpu,
        "ui_cpu": ui_cpu,
        "redraws": redraws,
        "missed": missed,
        "stalls": stalls.report(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2, help="idle/busy pairs, ABBA (default 2)")
    parser.add_argument("--presses", type=int, default=60, help="presses per phase (default 60)")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between presses")
    parser.add_argument("--seed", type=int, default=20, help="read entries in the list")
    parser.add_argument("--backlog", type=int, default=8, help="entries queued per busy phase")
    parser.add_argument(
        "--compare-priority",
        action="store_true",
        help=f"a third phase, {LOW!r}: the worker's threads at nice 10 instead of SCHED_IDLE",
    )
    args = parser.parse_args()

    with private_db() as data:
        seed_done(args.seed)
        result = asyncio.run(measure(args))
        left = [str(p.pid) for p in redis_servers_under(data)]

    samples, cpu, ui_cpu = result["samples"], result["cpu"], result["ui_cpu"]
    rows = [
        [
            phase,
            method,
            len(values := samples.get((phase, method), [])),
            median(values),
            percentile(values, 99),
            max(values, default=float("nan")),
            median(cpu[phase]),
            median(ui_cpu[phase]),
            result["redraws"][phase],
        ]
        for method in ("frame", "pilot")
        for phase in phases_of(args)
    ]
    print()
    headers = ["phase", "method", "presses", "p50 ms", "p99 ms", "max ms", "worker CPU %"]
    print(table([*headers, "UI CPU %", "list redraws"], rows))
    print(
        f"presses whose frame never came (a reload moved the cursor): {result['missed']}; "
        f"servers left: {left or 'none'}; children left: {leftover_processes() or 'none'}"
    )
    print(result["stalls"])
    print(machine())
    idle, busy = samples.get(("idle", "frame"), []), samples.get(("busy", "frame"), [])
    pilot_idle, pilot_busy = samples.get(("idle", "pilot"), []), samples.get(("busy", "pilot"), [])
    print(
        f"SUMMARY ui_latency: reps={args.reps}: key -> frame p50 {median(busy):.1f} ms / p99 "
        f"{percentile(busy, 99):.1f} ms with the worker extracting (CPU "
        f"{median(cpu['busy']):.0f}%) vs {median(idle):.1f} / {percentile(idle, 99):.1f} ms idle"
        f" (busy/idle p50 {ratio(median(busy), median(idle)):.2f}x, p99 "
        f"{ratio(percentile(busy, 99), percentile(idle, 99)):.2f}x); pilot press+pause p50 "
        f"{median(pilot_busy):.0f} vs {median(pilot_idle):.0f} ms"
    )


if __name__ == "__main__":
    main()

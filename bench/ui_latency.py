"""UI responsiveness while the real worker reads a backlog: key press → screen updated.

Why: the worker shares 2 cores with the UI. It runs at idle CPU priority (SCHED_IDLE, its
session's scheduling group at nice 19) with one llama.cpp thread so the UI stays responsive;
this checks that claim. The real app
(``CharlieApp``, which starts the real worker on its database) runs headless in this process
and down/up are pressed in the entry list: the key event is posted as the pilot does, and
the sample ends when the app composes the first frame showing the moved cursor (a wrapper on
``App._display``, which headless Textual still calls for every screen update).

Phases alternate in one run (ABBA): "idle" (worker running, nothing to read, model
unloaded) and "busy" (a fresh backlog queued, the worker reading it: a press every ``--gap``
seconds until the whole backlog is read, so the samples spread over it). ``--compare-priority``
adds a busy phase with the worker's threads at nice 10 (as before SCHED_IDLE), set from here
on each of its threads. ``--compare-before`` runs the whole script, now and the old way, in
fresh processes (ABBA) and prints them side by side.

Where a press's time goes, measured per press from the kernel's per-thread counters
(``/proc/<pid>/task/<tid>/schedstat``: nanoseconds on a CPU and waiting for one): the UI's
event-loop thread on a CPU and waiting in the run queue (the rest of the press it was
blocked: on the GIL or asleep), the UI's other threads on a CPU (who else could hold the
GIL), Python's garbage collector, and the CPU time of the worker and of the database server
during the press. The slowest presses are listed with that breakdown. Nothing of the
harness runs while a press waits (the counters are read before and after it); ``--where``
adds a stack sampler (a thread waking every 5 ms) to name the code on the event loop during
stalls over 50 ms, at the cost of disturbing what it measures. ``--off-cpu`` says why the
event loop was blocked (``_off_cpu.py``: ``perf`` records from outside the process each time
the loop's thread sleeps, in which system call, for how long it asked to, and what woke it)
and lists, for the slowest presses, those sleeps and the frames composed meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, fields, replace
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
from _off_cpu import OffCpu, Sleep

SIZE = (120, 30)
STALL_MS = 50
PRESS_TIMEOUT_S = 5.0
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


# --------------------------------------------------------------------------- where the time goes


def schedstat(pid: int, tid: int) -> tuple[int, int]:
    """Nanoseconds thread ``tid`` of ``pid`` has spent on a CPU and waiting in the run queue
    (0, 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
            run, wait, _ = fh.read().split()
    except (OSError, ValueError):
        return 0, 0
    return int(run), int(wait)


def process_run_ns(pid: int | None, skip: int | None = None) -> int:
    """Nanoseconds on a CPU summed over the threads of ``pid`` (but ``skip``), alive now."""
    if not pid:
        return 0
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return 0
    return sum(schedstat(pid, tid)[0] for tid in tids if tid != skip)


class GcClock:
    """Milliseconds this process has spent in the garbage collector (``gc.callbacks``), in
    all collections and in full (oldest-generation) ones, and how many full ones ran."""

    def __init__(self) -> None:
        self.total_ms = 0.0
        self.full_ms = 0.0
        self.full: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        took = (time.perf_counter() - self._start) * 1000
        self.total_ms += took
        if info["generation"] == 2:
            self.full_ms += took
            self.full.append(took)

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


@dataclass(frozen=True, slots=True)
class Cost:
    """One press, or the counters at one instant (subtract two for a press); milliseconds."""

    took: float = 0.0
    loop_cpu: float = 0.0
    """The UI's event-loop thread on a CPU."""
    loop_queued: float = 0.0
    """The event-loop thread runnable but waiting for a CPU (CPU scheduling)."""
    ui_threads: float = 0.0
    """The UI process's other threads on a CPU (pollers, Textual's: GIL holders)."""
    gc: float = 0.0
    """Python's garbage collector, all generations (the loop's CPU and queueing include it)."""
    gc_full: float = 0.0
    """The collector's full collections, of every object the process holds."""
    worker: float = 0.0
    server: float = 0.0

    def __sub__(self, other: Cost) -> Cost:
        return Cost(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(Cost)))

    @property
    def blocked(self) -> float:
        """Neither running nor queued: waiting for the GIL, a lock, or sleeping."""
        return max(0.0, self.took - self.loop_cpu - self.loop_queued)


class Meter:
    """Reads the counters of the UI's threads, the worker and the server around a press."""

    def __init__(self, server_pid: int) -> None:
        self.pid = os.getpid()
        self.loop_tid = threading.get_native_id()
        self.server_pid = server_pid
        self.worker_pid: int | None = None
        self.gc = GcClock()

    def now(self) -> Cost:
        run, wait = schedstat(self.pid, self.loop_tid)
        return Cost(
            took=time.perf_counter() * 1000,
            loop_cpu=run / 1e6,
            loop_queued=wait / 1e6,
            ui_threads=process_run_ns(self.pid, skip=self.loop_tid) / 1e6,
            gc=self.gc.total_ms,
            gc_full=self.gc.full_ms,
            worker=process_run_ns(self.worker_pid) / 1e6,
            server=process_run_ns(self.server_pid) / 1e6,
        )


def whose(waker: str, owners: dict[str, int]) -> str:
    """``comm/tid: how`` with the process the thread belongs to, if it is one of ``owners``."""
    name, _, how = waker.partition(": ")
    tid = name.rpartition("/")[2]
    for owner, pid in owners.items():
        if tid.isdigit() and Path(f"/proc/{pid}/task/{tid}").exists():
            return f"{owner} {name}: {how}"
    return waker


def breakdown(costs: list[Cost]) -> list[object]:
    """Medians of each part of ``costs`` (a row of the "where the time goes" tables)."""
    return [
        len(costs),
        median([c.took for c in costs]),
        median([c.loop_cpu for c in costs]),
        median([c.loop_queued for c in costs]),
        median([c.blocked for c in costs]),
        median([c.ui_threads for c in costs]),
        median([c.gc for c in costs]),
        median([c.gc_full for c in costs]),
        median([c.worker for c in costs]),
        median([c.server for c in costs]),
    ]


BREAKDOWN = ["presses", "took", "loop CPU", "queued", "blocked", "UI thr CPU", "GC", "full GC"]
BREAKDOWN += ["worker CPU", "server CPU"]


# --------------------------------------------------------------------------- stack sampler


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


# --------------------------------------------------------------------------- the run


def prioritise(worker: Any, *, low: bool) -> None:
    """Every thread of the worker at nice 10 (``low``) or at its own setting (SCHED_IDLE):
    on Linux each thread has its own policy, so each one is set."""

    for thread in worker.threads():
        if low:
            os.sched_setscheduler(thread.id, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, thread.id, 10)
        else:
            os.sched_setscheduler(thread.id, os.SCHED_IDLE, os.sched_param(0))


def old_session_group(pid: int) -> None:
    """The worker's session scheduling group back at nice 0, as before the h-typ change (it
    now lowers it to 19 itself): root, or CAP_SYS_NICE, may raise a priority again."""
    for _ in range(30):
        try:
            Path(f"/proc/{pid}/autogroup").write_text("0\n")
            return
        except BlockingIOError:  # the kernel takes one change every 100 ms
            time.sleep(0.1)
    raise RuntimeError("the worker's autogroup could not be set back to nice 0")


def seed_done(n: int) -> None:
    """``n`` entries already read, so the list has rows to move through."""
    from charlie_worker.store.entries import add_entry
    from charlie_worker.store.episode_state import remove_episode_from_queue

    for text in entry_texts(n):
        remove_episode_from_queue(add_entry(text))  # saved (not queued) and read: no entities


async def measure(args: argparse.Namespace, server_pid: int) -> dict[str, Any]:
    """Run the app with its worker; per phase, each press's cost; the worker's CPU."""
    import psutil
    from textual import events

    from charlie_tui.app import CharlieApp
    from charlie_tui.widgets.entry_table import EntryTable
    from charlie_worker.store.journal import save_entry
    from charlie_worker.store.worker_state import read_status

    presses: dict[str, list[Cost]] = {}
    windows: dict[str, list[tuple[float, float]]] = {}
    """Each press's start and end (``perf_counter`` seconds), in the order of ``presses``."""
    phases = phases_of(args)
    cpu: dict[str, list[float]] = {phase: [] for phase in phases}
    ui_cpu: dict[str, list[float]] = {phase: [] for phase in phases}
    covered: dict[str, list[float]] = {phase: [] for phase in phases}
    """Per busy phase, the share of its backlog read while its presses were taken."""
    redraws: dict[str, int] = dict.fromkeys(phases, 0)
    """List reloads (``EntryTable.show``: the rows that came, went or changed) per phase: the
    UI's own work under load."""
    gcs: dict[str, list[float]] = {phase: [] for phase in phases}
    """Per phase, the milliseconds of each full garbage collection (whenever it ran)."""
    missed = 0
    app = CharlieApp()
    meter = Meter(server_pid)
    stalls = StallWatch()
    async with app.run_test(size=SIZE) as pilot:
        if args.where:
            beat = asyncio.create_task(stalls.beat())
            threading.Thread(target=stalls.watch, daemon=True).start()

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
        meter.worker_pid = worker.pid
        if args.old_way:
            old_session_group(worker.pid)
            gc.unfreeze()  # the app froze what it held once the journal opened
            app._collector.stop()  # and left full passes to the pauses: CPython's own again
        print(f"worker {worker.pid}: {Path(f'/proc/{worker.pid}/autogroup').read_text().strip()}")
        tracer = OffCpu(meter.loop_tid) if args.off_cpu else None
        if tracer:
            tracer.start()
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
        frames: list[float] = []
        """When each frame was composed (``perf_counter`` seconds)."""
        display = app._display

        def display_and_stamp(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None:
                frames.append(time.perf_counter())
            if renderable is not None and waiting and highlighted() != waiting["from"]:
                waiting.pop("done").set_result(meter.now())
                waiting.clear()

        app._display = display_and_stamp  # type: ignore[method-assign]

        async def press(key: str, start: str | None) -> tuple[Cost, float] | None:
            """The press's cost and when it started (``perf_counter`` seconds)."""
            done = asyncio.get_running_loop().create_future()
            waiting.update({"from": start, "done": done})
            before = replace(meter.now(), took=time.perf_counter() * 1000)  # counters first
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)  # what pilot.press does, without its idle waits
            try:
                return (await asyncio.wait_for(done, PRESS_TIMEOUT_S)) - before, before.took / 1000
            except TimeoutError:  # a reload moved the cursor elsewhere meanwhile
                waiting.clear()
                return None

        texts = entry_texts(args.seed + args.backlog)[args.seed :]
        for rep, phase in alternating(phases, args.reps):
            if phase != "idle":
                if args.compare_priority:
                    prioritise(worker, low=phase == LOW)
                uuids = [save_entry(text) for text in texts]

                def still_busy(uuids: list[str] = uuids) -> bool:
                    return bool(unfinished(uuids))

            else:
                await until(lambda: read_status().model == "", 300, "the backlog to drain")

                def still_busy() -> bool:
                    return True

            phase_now[0] = stalls.phase = phase
            worker.cpu_percent()  # start the interval
            ui.cpu_percent()
            full_before = len(meter.gc.full)
            taken = 0
            most = args.presses if phase != "idle" else args.idle_presses
            while taken < most and still_busy():
                # Between the first two entries (the row above the first is a heading).
                start = highlighted()
                key = "down" if start == table().entries[0].entry.uuid else "up"
                stalls.pressing = True
                pressed = await press(key, start)
                stalls.pressing = False
                if pressed is None:
                    missed += 1
                else:
                    cost, at = pressed
                    presses.setdefault(phase, []).append(cost)
                    windows.setdefault(phase, []).append((at, at + cost.took / 1000))
                taken += 1
                await asyncio.sleep(args.gap)
            cpu[phase].append(worker.cpu_percent())
            ui_cpu[phase].append(ui.cpu_percent())
            if phase != "idle":
                covered[phase].append(1 - len(unfinished(uuids)) / len(uuids))
            full = meter.gc.full[full_before:]
            gcs[phase] += full
            print(
                f"rep {rep} {phase}: {len(full)} full GCs (median {median(full):.0f} ms, "
                f"{len(gc.get_objects())} objects), {taken} presses, p50 "
                f"{median([c.took for c in presses.get(phase, [])]):.1f} ms (so far), "
                f"worker CPU {cpu[phase][-1]:.0f}%, UI CPU {ui_cpu[phase][-1]:.0f}%"
                + (f", backlog read {covered[phase][-1]:.0%}" if phase != "idle" else ""),
                flush=True,
            )
        off_cpu = await asyncio.to_thread(tracer.stop) if tracer else []
        owners = {"UI": meter.pid, "worker": worker.pid, "server": server_pid}
        off_cpu = [replace(s, waker=whose(s.waker, owners)) for s in off_cpu]
        app._display = display  # type: ignore[method-assign]
        EntryTable.show = show  # type: ignore[method-assign]
        await pilot.press("q")
        await until(lambda: app.return_code is not None, 60, "the app to quit")
        stalls.stop()
        if args.where:
            await beat
    meter.gc.close()
    return {
        "presses": presses,
        "windows": windows,
        "off_cpu": off_cpu,
        "frames": frames,
        "cpu": cpu,
        "ui_cpu": ui_cpu,
        "covered": covered,
        "redraws": redraws,
        "gcs": gcs,
        "missed": missed,
        "stalls": stalls.report() if args.where else "",
        "objects": len(gc.get_objects()),
    }


def the_old_way() -> None:
    """The UI as it was before the h-typ change: Textual's own footer, which keeps every key
    it replaced alive (Textualize/textual#6666), and built again on every cursor move. (The
    worker's side of the old way is ``old_session_group``; the objects the app froze once
    the journal opened are unfrozen in ``measure``, where CPython gets its own trigger of
    full collections back.)"""
    from textual.widgets import Footer as TextualFooter

    from charlie_tui.screens.entries import EntriesScreen
    from charlie_tui.widgets.footer import Footer

    Footer.recompose = TextualFooter.recompose  # type: ignore[method-assign]
    EntriesScreen._refresh_keys = EntriesScreen.refresh_bindings  # type: ignore[method-assign]


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """One run's tables: latency per phase, where a press's time goes, the slowest presses."""
    presses, cpu, ui_cpu = result["presses"], result["cpu"], result["ui_cpu"]
    phases = phases_of(args)
    took = {phase: [c.took for c in presses.get(phase, [])] for phase in phases}
    rows = [
        [
            phase,
            *spread(took[phase]),
            median(cpu[phase]),
            median(ui_cpu[phase]),
            result["redraws"][phase],
            len(result["gcs"][phase]),
            median(result["gcs"][phase]),
        ]
        for phase in phases
    ]
    print()
    headers = ["phase", *SPREAD, "worker CPU %", "UI CPU %", "list reloads"]
    print(table([*headers, "full GCs", "full GC ms"], rows))
    print("\nwhere a press's time goes (ms, medians; blocked = not running, not queued):")
    rows = []
    for phase in phases:
        costs = sorted(presses.get(phase, []), key=lambda c: c.took)
        slow = costs[int(len(costs) * 0.9) :]
        rows += [[phase, "all", *breakdown(costs)], [phase, "slowest 10%", *breakdown(slow)]]
    print(table(["phase", "which", *BREAKDOWN], rows))
    print(f"\nthe slowest {args.slowest} presses of each phase (ms):")
    rows = [
        [phase, *breakdown([cost])[1:]]
        for phase in phases
        for cost in sorted(presses.get(phase, []), key=lambda c: -c.took)[: args.slowest]
    ]
    print(table(["phase", *BREAKDOWN[1:]], rows))
    covered = ", ".join(f"{p} {median(v):.0%}" for p, v in result["covered"].items() if v)
    print(
        f"backlog read while pressing (median of the busy phases): {covered}; presses whose "
        f"frame never came (a reload moved the cursor): {result['missed']}; objects at the "
        f"end: {result['objects']}"
    )
    if result["stalls"]:
        print(result["stalls"])
    if args.off_cpu:
        off_cpu_report(args, result)


def off_cpu_report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Why the event loop was blocked during the presses (``--off-cpu``): per phase, the
    blocked time of its slowest 10% of presses by where it slept and what woke it, and the
    sleeps of the slowest presses one by one."""
    found: list[Sleep] = result["off_cpu"]
    print("\nthe event loop's sleeps during the presses (perf sched_switch/sched_wakeup):")
    for phase in phases_of(args):
        pressed = sorted(
            zip(result["presses"].get(phase, []), result["windows"].get(phase, []), strict=True),
            key=lambda p: -p[0].took,
        )
        slow = pressed[: max(1, len(pressed) // 10)]
        by_cause: dict[str, float] = {}
        for _, (start, end) in slow:
            for sleep in found:
                if ms := sleep.overlap_ms(start, end):
                    key = f"{sleep.state} {sleep.where} <- {sleep.waker}"
                    by_cause[key] = by_cause.get(key, 0.0) + ms
        total = sum(c.took for c, _ in slow)
        print(f"  {phase}, slowest {len(slow)} presses ({total:.0f} ms in all), asleep in:")
        for cause, ms in sorted(by_cause.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {ms:8.1f} ms  {cause}")
        for cost, (start, end) in slow[: args.slowest]:
            drawn = [f"+{(t - start) * 1000:.1f}" for t in result["frames"] if start <= t <= end]
            parts = [f"frames at {' '.join(drawn)}"]
            parts += [
                f"+{(s.start - start) * 1000:.1f} {s.overlap_ms(start, end):.1f} ms "
                f"{s.where.split(':')[0]} <- {s.waker}"
                for s in found
                if s.overlap_ms(start, end) >= 0.5
            ]
            print(
                f"    {cost.took:6.1f} ms (cpu {cost.loop_cpu:.1f}, queued "
                f"{cost.loop_queued:.1f}): " + "; ".join(parts)
            )


SPREAD = ["presses", "p50 ms", "p90 ms", "p99 ms", "max ms"]


def spread(values: list[float]) -> list[object]:
    return [
        len(values),
        median(values),
        percentile(values, 90),
        percentile(values, 99),
        max(values, default=float("nan")),
    ]


def summary(args: argparse.Namespace, took: dict[str, list[float]], cpu: float) -> str:
    idle, busy = took["idle"], took["busy"]
    return (
        f"key -> frame p50 {median(busy):.1f} ms / p99 {percentile(busy, 99):.1f} ms with the "
        f"worker reading ({len(busy)} presses, CPU {cpu:.0f}%) vs {median(idle):.1f} / "
        f"{percentile(idle, 99):.1f} ms idle (busy/idle p50 "
        f"{ratio(median(busy), median(idle)):.2f}x, p99 "
        f"{ratio(percentile(busy, 99), percentile(idle, 99)):.2f}x)"
    )


def compare(args: argparse.Namespace) -> None:
    """``--compare-before``: whole runs of this script, now and the old way, in ABBA order,
    each a fresh process (the old way's cost grows with the presses a process has seen)."""
    passed = [a for a in sys.argv[1:] if a != "--compare-before"]
    took: dict[tuple[str, str], list[float]] = {}
    cpu: dict[str, list[float]] = {}
    gcs: dict[str, list[float]] = {}
    objects: dict[str, list[int]] = {}
    for rep, way in alternating(["now", "before"], args.compare_reps):
        command = [sys.executable, __file__, *passed, "--json"]
        done = subprocess.run(
            [*command, *(["--old-way"] if way == "before" else [])],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.splitlines()[-1])
        for phase, values in result["took"].items():
            took.setdefault((way, phase), []).extend(values)
        cpu.setdefault(way, []).append(result["busy_cpu"])
        gcs.setdefault(way, []).extend(result["gcs"])
        objects.setdefault(way, []).append(result["objects"])
        print(f"rep {rep} {way}: {summary(args, result['took'], result['busy_cpu'])}", flush=True)
    rows = [
        [way, phase, *spread(took.get((way, phase), [])), len(gcs[way]), median(gcs[way]), top]
        for way in ("now", "before")
        for top in [max(objects[way])]
        for phase in phases_of(args)
    ]
    print()
    print(table(["code", "phase", *SPREAD, "full GCs", "full GC ms", "objects"], rows))
    print(machine())
    for way in ("now", "before"):
        ways = {phase: took.get((way, phase), []) for phase in ("idle", "busy")}
        print(f"SUMMARY ui_latency {way}: {summary(args, ways, median(cpu[way]))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2, help="idle/busy pairs, ABBA (default 2)")
    parser.add_argument(
        "--presses",
        type=int,
        default=1000,
        help="most presses per busy phase; it ends when its backlog is read (default 1000)",
    )
    parser.add_argument(
        "--idle-presses", type=int, default=200, help="presses per idle phase (default 200)"
    )
    parser.add_argument("--gap", type=float, default=0.15, help="seconds between presses")
    parser.add_argument("--seed", type=int, default=200, help="read entries in the list")
    parser.add_argument("--backlog", type=int, default=16, help="entries queued per busy phase")
    parser.add_argument("--slowest", type=int, default=8, help="slow presses listed per phase")
    parser.add_argument(
        "--where", action="store_true", help="sample the UI's stacks during stalls (disturbs)"
    )
    parser.add_argument(
        "--off-cpu",
        action="store_true",
        help="record why the event loop sleeps during presses (perf; root)",
    )
    parser.add_argument(
        "--compare-priority",
        action="store_true",
        help=f"a third phase, {LOW!r}: the worker's threads at nice 10 instead of SCHED_IDLE",
    )
    parser.add_argument(
        "--compare-before",
        action="store_true",
        help="whole runs now and the old way (the footer before h-typ), ABBA, side by side",
    )
    parser.add_argument("--compare-reps", type=int, default=2, help="runs of each way (2)")
    parser.add_argument("--old-way", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare_before:
        compare(args)
        return
    if args.old_way:
        the_old_way()

    with private_db() as data:
        seed_done(args.seed)
        (server,) = redis_servers_under(data)
        result = asyncio.run(measure(args, server.pid))
        left = [str(p.pid) for p in redis_servers_under(data)]

    took = {phase: [c.took for c in result["presses"].get(phase, [])] for phase in phases_of(args)}
    busy_cpu = median(result["cpu"]["busy"])
    if args.json:
        gcs = [ms for values in result["gcs"].values() for ms in values]
        print(
            json.dumps(
                {"took": took, "busy_cpu": busy_cpu, "gcs": gcs, "objects": result["objects"]}
            )
        )
        return
    report(args, result)
    print(f"servers left: {left or 'none'}; children left: {leftover_processes() or 'none'}")
    print(machine())
    print(f"SUMMARY ui_latency: reps={args.reps}: {summary(args, took, busy_cpu)}")


if __name__ == "__main__":
    main()

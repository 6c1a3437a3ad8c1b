"""Why a thread was off a CPU: the kernel's own record of each time it went to sleep.

Why: the kernel's per-thread counters (``schedstat``) say how long a thread ran and waited
in the run queue, but not why it was blocked the rest of the time. ``perf record`` on the
scheduler's tracepoints for that one thread says: ``sched_switch`` as it leaves the CPU (with
its kernel stack: the system call or fault it sleeps in), ``sched_waking``/``sched_wakeup``
when something wakes it (with the waker's name and kernel stack: a timer, a file descriptor
becoming ready, a futex), and the timeout of each ``epoll_wait`` (an event loop that chose
to sleep, and for how long). perf runs as a separate process (it needs root or
``perf_event_paranoid`` ≤ 1) and stamps events with ``CLOCK_MONOTONIC``, the clock of
``time.perf_counter`` on Linux, so a sleep can be matched to the press it delayed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

EVENT = re.compile(
    r"^\s*(?P<comm>.+?)\s+(?P<tid>\d+)\s+(?P<time>\d+\.\d+):\s+(?P<event>\w+:\w+):\s+(?P<trace>.*)$"
)
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(?P<symbol>\S+?)(?:\+0x[0-9a-f]+)?\s+\((?P<dso>[^)]*)\)")
FIELDS = "comm,tid,time,event,trace,ip,sym,dso"
SCHEDULER = ("__schedule", "schedule", "preempt_schedule", "__cond_resched", "__traceiter")
"""Frames of the scheduler itself, above the reason a thread sleeps."""
WAKE_REASONS = {
    "hrtimer_wakeup": "timer",
    "ep_poll_callback": "fd ready",
    "futex_wake": "futex",
    "pollwake": "fd ready",
    "unix_stream_sendmsg": "socket",
    "sock_def_readable": "socket",
    "pipe_write": "pipe",
}


@dataclass(frozen=True, slots=True)
class Sleep:
    """One time the thread was off a CPU not by preemption, seconds (``CLOCK_MONOTONIC``)."""

    start: float
    end: float
    """When it was woken (it may then wait in the run queue)."""
    state: str
    """``S`` (interruptible: waiting for an event), ``D`` (uninterruptible: I/O, a fault)."""
    where: str
    """The system call, and the innermost kernel function below the scheduler."""
    waker: str
    """Who woke it, and how (``swapper: timer``, ``redis-server: fd ready``, ...)."""

    def overlap_ms(self, start: float, end: float) -> float:
        return max(0.0, min(self.end, end) - max(self.start, start)) * 1000


class OffCpu:
    """``perf record`` of one thread's sleeps and wake-ups, from ``start()`` to ``stop()``."""

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self._dir = tempfile.TemporaryDirectory(prefix="off-cpu-")
        self._data = Path(self._dir.name) / "perf.data"
        self._perf: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["perf", "record", "-q", "-a", "-g", "-k", "CLOCK_MONOTONIC"]
        switches = f"prev_pid == {self.tid} || next_pid == {self.tid}"
        command += ["-e", "sched:sched_switch", "--filter", switches]
        command += ["-e", "sched:sched_waking", "--filter", f"pid == {self.tid}"]
        command += ["-e", "sched:sched_wakeup", "--filter", f"pid == {self.tid}"]
        command += ["-e", "syscalls:sys_enter_epoll_wait", "--filter", f"common_pid == {self.tid}"]
        self._perf = subprocess.Popen([*command, "-o", str(self._data)], stderr=subprocess.PIPE)
        time.sleep(1.0)  # perf opens its events (no signal says when)
        if self._perf.poll() is not None:
            raise RuntimeError(f"perf record failed: {self._perf.stderr.read().decode()}")

    def stop(self) -> list[Sleep]:
        """Stop recording; the thread's sleeps, in order."""
        assert self._perf is not None
        self._perf.send_signal(signal.SIGINT)
        self._perf.wait(60)
        script = subprocess.run(
            ["perf", "script", "-i", str(self._data), "--ns", "-F", FIELDS],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self._dir.cleanup()
        return sleeps(script, self.tid)


def sleeps(script: str, tid: int) -> list[Sleep]:
    """The sleeps of ``tid`` in ``perf script`` output: from each switch out in state S or D
    to the first sign of its wake-up: ``sched_waking`` or ``sched_wakeup``, or else (the
    wake-ups from an idle CPU are now and then missing) its switch back in or its next
    system call, which also count its wait in the run queue (waker "?")."""
    found: list[Sleep] = []
    asleep: tuple[float, str, str] | None = None
    timeout = ""
    for event, frames in _events(script):
        name, at = event["event"], float(event["time"])
        if asleep is not None:
            start, state, where = asleep
            woken = name in ("sched:sched_waking", "sched:sched_wakeup")
            waker = f"{event['comm']}/{event['tid']}: {_wake_reason(frames)}" if woken else "?"
            found.append(Sleep(start, at, state, where, waker))
            asleep = None
        if name == "syscalls:sys_enter_epoll_wait":
            timeout = f" (timeout {_epoll_timeout(event['trace'])})"
        elif name == "sched:sched_switch" and f"prev_pid={tid} " in event["trace"]:
            state = re.search(r"prev_state=(\S+)", event["trace"])
            if state and state.group(1)[0] in "SD":
                where = _where(frames)
                if where.startswith("epoll_wait"):
                    where += timeout
                asleep = (at, state.group(1), where)
    return found


def _epoll_timeout(trace: str) -> str:
    """The timeout an ``epoll_wait`` asked for: milliseconds, or none (-1)."""
    ms = int(trace.rsplit("timeout: ", 1)[1], 16)
    return "none" if ms >= 2**31 else f"{ms} ms"


def _events(script: str) -> list[tuple[dict[str, str], list[str]]]:
    """(fields, kernel function names innermost first) of each event."""
    events: list[tuple[dict[str, str], list[str]]] = []
    for line in script.splitlines():
        if match := EVENT.match(line):
            events.append((match.groupdict(), []))
        elif (frame := FRAME.match(line)) and events and frame["dso"] == "[kernel.kallsyms]":
            events[-1][1].append(frame["symbol"])
    return events


def _where(frames: list[str]) -> str:
    """``epoll_wait: do_epoll_wait``: the system call (or fault) and the first frame below
    the scheduler."""
    below = [f for f in frames if not f.startswith(SCHEDULER)]
    call = next(
        (f.split("_sys_", 1)[1] for f in frames if "_sys_" in f),
        "page fault" if any("page_fault" in f for f in frames) else "?",
    )
    return f"{call}: {below[0] if below else '?'}"


def _wake_reason(frames: list[str]) -> str:
    for frame in frames:
        for symbol, reason in WAKE_REASONS.items():
            if frame.startswith(symbol):
                return reason
    return next((f for f in frames if not f.startswith(("__traceiter", "try_to_wake"))), "?")

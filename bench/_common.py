"""Helpers shared by every benchmark: the machine, statistics, a private database, workers.

They live in one module so that every script describes the machine the same way (the figures
are meaningless without it: other jobs share these 2 cores), computes percentiles the same
way, and cleans up the same way: no redis-server and no worker may outlive a benchmark.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil

START_LOAD = os.getloadavg()
"""Load average when the benchmark started (this module is imported first thing)."""

WORKER_CMD: list[str] = [sys.executable, "-m", "charlie_worker.cli"]
"""The real ``charlie-worker`` consumer, as the app starts it."""

ENV_KEYS = (
    "CHARLIE_DATA_DIR",
    "CHARLIE_LLM_PROGRAM_STATE",
    "CHARLIE_REDIS_SOCKET",
)


# --------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform.processor() is empty on Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def llm_threads() -> int:
    """The llama.cpp thread count the product would use here (its setting, not a guess)."""
    from charlie_inference import ModelSettings

    return ModelSettings().threads


def machine() -> str:
    """One line naming the machine and how busy it was: every figure is read against it."""
    now = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}, "
        f"llama threads {llm_threads()}; load avg 1/5/15 min at start "
        f"{START_LOAD[0]:.2f}/{START_LOAD[1]:.2f}/{START_LOAD[2]:.2f}, at end "
        f"{now[0]:.2f}/{now[1]:.2f}/{now[2]:.2f}"
    )


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values (a missing figure must not look like zero)."""
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(a: float, b: float) -> float:
    """``a / b``, NaN when ``b`` is zero."""
    return a / b if b else math.nan


def alternating(modes: Sequence[str], reps: int) -> list[tuple[int, str]]:
    """ABBA order (A B, B A, A B, …): slow drift of the machine's load hits both modes alike."""
    order: list[tuple[int, str]] = []
    for rep in range(reps):
        block = list(modes) if rep % 2 == 0 else list(reversed(modes))
        order.extend((rep, mode) for mode in block)
    return order


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (stdout, and pasted into bench/README.md)."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


# --------------------------------------------------------------------------- a private database


@contextlib.contextmanager
def private_data_dir(keep: bool = False) -> Iterator[Path]:
    """A fresh CHARLIE_DATA_DIR (and program-state path): the user's journal and optimized
    program are never read or touched. No database is opened; see ``private_db``.
    """
    root = Path(tempfile.mkdtemp(prefix="charlie-bench-"))
    data = root / "data"
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    os.environ["CHARLIE_DATA_DIR"] = str(data)
    os.environ["CHARLIE_LLM_PROGRAM_STATE"] = str(data / "programs" / "entity_extractor.json")
    os.environ.pop("CHARLIE_REDIS_SOCKET", None)
    try:
        yield data
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        left = _wait_servers_gone(root, timeout=10)
        for proc in left:
            print(f"warning: killing redis-server {proc.pid} left running", file=sys.stderr)
            with contextlib.suppress(psutil.Error):
                proc.kill()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def private_db(keep: bool = False) -> Iterator[Path]:
    """``private_data_dir`` with the embedded server open in this process.

    On exit the connection is closed, which shuts the server down (stop workers first: a
    worker's connection keeps it alive), and no redis-server started under the temp dir may
    survive; one that does is killed and reported.
    """
    from charlie_worker.database.lifecycle import close_db, get_db

    with private_data_dir(keep) as data:
        close_db()
        try:
            get_db()
            yield data
        finally:
            close_db()


def redis_servers_under(root: Path) -> list[psutil.Process]:
    """Running redis-servers whose working dir (their db dir) is under ``root``."""
    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] != "redis-server" or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if Path(proc.cwd()).is_relative_to(root.resolve()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _wait_servers_gone(root: Path, timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := redis_servers_under(root)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def socket_env() -> dict[str, str]:
    """The environment a child process needs to attach to this process's server."""
    from charlie_worker.database.lifecycle import SOCKET_ENV, socket_path

    return {**os.environ, SOCKET_ENV: socket_path()}


def episode_keys() -> list[str]:
    """Redis keys of entries the worker has not finished (a done entry's hash is deleted)."""
    from charlie_worker.database.lifecycle import get_redis

    return list(get_redis().scan_iter(match="episode:*", count=1000))


def unfinished(uuids: Sequence[str]) -> list[str]:
    """Those of ``uuids`` still pending or reading (failed ones keep a hash but are finished)."""
    from charlie_worker.database.lifecycle import get_redis
    from charlie_worker.database.redis_ops import FAILED

    pipe = get_redis().pipeline(transaction=False)
    for uuid in uuids:
        pipe.hget(f"episode:{uuid}", "status")
    return [u for u, s in zip(uuids, pipe.execute(), strict=True) if s and s != FAILED]


def failed(uuids: Sequence[str]) -> int:
    """How many of ``uuids`` ended failed (unusable model output after the retries)."""
    from charlie_worker.database.lifecycle import get_redis
    from charlie_worker.database.redis_ops import FAILED

    pipe = get_redis().pipeline(transaction=False)
    for uuid in uuids:
        pipe.hget(f"episode:{uuid}", "status")
    return sum(s == FAILED for s in pipe.execute())


# --------------------------------------------------------------------------- workers


@contextlib.contextmanager
def worker(
    cmd: Sequence[str] = WORKER_CMD, *, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker subprocess attached to this process's server, stopped (and reaped) on exit."""
    proc = subprocess.Popen(
        [*cmd, "--log-file", str(log)],
        env={**socket_env(), **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """SIGTERM (graceful for charlie-worker), then SIGKILL if it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> float:
    """Poll until ``condition()``; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)
    return time.monotonic()


def worker_ready(proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """A condition: the worker ``proc`` has published itself as running in redis."""
    from charlie_worker.status import read_status

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"worker {proc.pid} exited with {proc.returncode}")
        report = read_status()
        return report.running and report.pid == proc.pid

    return ready


# --------------------------------------------------------------------------- inputs and processes


def entry_texts(n: int) -> list[str]:
    """``n`` realistic journal entries: the labelled set shipped with charlie-optimize, cycled."""
    from charlie_optimize.dataset import default_data_path, load_entries

    texts = [entry.text for entry in load_entries(default_data_path())]
    return [texts[i % len(texts)] for i in range(n)]


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of ``pid`` (default: this process) in MiB."""
    return psutil.Process(pid).memory_info().rss / 2**20


def run_child(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 300) -> dict:
    """Run ``python args...`` in a fresh process; its last stdout line is JSON, returned parsed."""
    result = subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"child {args} failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(lines[-1])


def leftover_processes(root_pid: int | None = None) -> list[str]:
    """Children of this process still alive (there should be none at the end of a bench)."""
    me = psutil.Process(root_pid)
    alive = []
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{child.pid} {child.name()}")
    return alive

"""Helpers shared by every benchmark: the machine, statistics, a private database, workers.

They live in one module so that every script describes the machine the same way (the figures
are meaningless without it: other jobs share these 2 cores), computes percentiles the same
way, and cleans up the same way: no redis-server and no worker may outlive a benchmark.
The process and server helpers are the test kit's (``tests/kit/processes.py``), re-exported
here: the tests and the benchmarks start, wait for and stop processes with one copy of them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psutil

START_LOAD = os.getloadavg()
"""Load average when the benchmark started (this module is imported first thing)."""

# The test kit is the benchmarks' too: one copy of the process and server helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kit.processes import (  # noqa: E402
    ESCAPES,
    WORKER_CMD,
    children_left,
    episode_keys,
    kill_servers_left,
    redis_servers_under,
    run_child,
    start_in_pty,
    stop_process,
    wait_until,
    workers_of,
)

__all__ = [
    "ESCAPES",
    "WORKER_CMD",
    "episode_keys",
    "redis_servers_under",
    "run_child",
    "start_in_pty",
    "stop_process",
    "wait_until",
    "workers_of",
]

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
        for proc in kill_servers_left(root, timeout=10):
            print(f"warning: killed redis-server {proc.pid} left running", file=sys.stderr)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def private_db(keep: bool = False) -> Iterator[Path]:
    """``private_data_dir`` with the embedded server open in this process.

    On exit the connection is closed, which shuts the server down (stop workers first: a
    worker's connection keeps it alive), and no redis-server started under the temp dir may
    survive; one that does is killed and reported.
    """
    from charlie_worker.store.connection import close_db, get_db

    with private_data_dir(keep) as data:
        close_db()
        try:
            get_db()
            yield data
        finally:
            close_db()


def socket_env() -> dict[str, str]:
    """The environment a child process needs to attach to this process's server."""
    from charlie_worker.settings import WorkerSettings
    from charlie_worker.store.connection import socket_path

    return {**os.environ, WorkerSettings.env_name("redis_socket"): socket_path()}


def unfinished(uuids: Sequence[str]) -> list[str]:
    """Those of ``uuids`` still pending or reading (failed ones keep a hash but are finished)."""
    from charlie_worker.store.connection import get_redis
    from charlie_worker.store.episode_state import FAILED

    pipe = get_redis().pipeline(transaction=False)
    for uuid in uuids:
        pipe.hget(f"episode:{uuid}", "status")
    return [u for u, s in zip(uuids, pipe.execute(), strict=True) if s and s != FAILED]


def failed(uuids: Sequence[str]) -> int:
    """How many of ``uuids`` ended failed (unusable model output after the retries)."""
    from charlie_worker.store.connection import get_redis
    from charlie_worker.store.episode_state import FAILED

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


def worker_ready(proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    """A condition: the worker ``proc`` has published itself as running in redis."""
    from charlie_worker.store.worker_state import read_status

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"worker {proc.pid} exited with {proc.returncode}")
        report = read_status()
        return report.running and report.pid == proc.pid

    return ready


def read_in_process(episode_uuid: str, journal: str) -> dict | None:
    """Read one entry in this process as the consumer does: the store's ``read_entry`` task,
    executed with the worker's Huey hooks (``post_execute`` unloads the model once no entry
    waits). A retry after unusable model output runs at once (the consumer waits
    ``RETRY_DELAY_S`` first), so an entry ends done or failed here."""
    import charlie_worker.pipeline.tasks  # noqa: F401  (installs the reader and the hooks)
    from charlie_worker.store.queue import RETRIES, bind_queue, read_entry

    huey = bind_queue()
    task = read_entry.s(episode_uuid, journal)
    for _ in range(RETRIES + 1):
        task.eta = None
        value = huey.execute(task)
        if task.eta is None:  # not requeued for a retry
            return value
        huey.storage.flush_schedule()  # the retry huey scheduled runs here instead
    raise RuntimeError(f"entry {episode_uuid} was still requeued after {RETRIES} retries")


@contextlib.contextmanager
def code_at(revision: str) -> Iterator[dict[str, str]]:
    """The environment that makes a child Python run Charlie's packages as of ``revision``
    (a commit of this repository), for before/after comparisons in one run.

    The packages' sources are exported (``git archive``, no worktree is registered) to a temp
    dir put first on ``PYTHONPATH``; third-party code is this venv's, so compare revisions that
    share their dependencies.
    """
    repo = Path(__file__).resolve().parent.parent
    root = Path(tempfile.mkdtemp(prefix="charlie-bench-code-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", revision, "packages"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        sources = sorted(str(p) for p in (root / "packages").glob("*/src"))
        yield {"PYTHONPATH": os.pathsep.join(sources)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def before_after(script: str, argv: list[str], revision: str) -> dict[str, list[Any]]:
    """``script`` run with ``argv`` (plus ``--json OUT``) in child processes on commit
    ``revision``'s code and on this code, in the order before, after, after, before, so that a
    load drifting during the run weighs on both alike; each child's JSON, by code."""
    runs: dict[str, list[Any]] = {"before": [], "after": []}
    with code_at(revision) as before_env, tempfile.TemporaryDirectory() as tmp:
        for turn, code in enumerate(("before", "after", "after", "before")):
            out = Path(tmp) / f"{turn}.json"
            env = {**os.environ, **(before_env if code == "before" else {})}
            subprocess.run([sys.executable, script, *argv, "--json", str(out)], env=env, check=True)
            runs[code].append(json.loads(out.read_text()))
            print(f"{code} ({turn + 1}/4) measured", flush=True)
    return runs


def add_before_after_arguments(parser: argparse.ArgumentParser, what: str = "code") -> None:
    """``--before REV`` (compare with commit REV's ``what``) and a child's ``--json OUT``."""
    parser.add_argument("--before", metavar="REV", help=f"compare with the {what} of commit REV")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # a child's raw figures


def measure_here(
    args: argparse.Namespace,
    measure: Callable[[argparse.Namespace], Any],
    compare: Callable[[argparse.Namespace], None],
) -> Any | None:
    """A ``before_after`` script's dispatch: with ``--before``, compare (children do the
    measuring); as such a child (``--json``), write the figures; else the figures to report."""
    if args.before:
        compare(args)
    elif args.json:
        args.json.write_text(json.dumps(measure(args)))
    else:
        return measure(args)
    return None


# --------------------------------------------------------------------------- inputs and processes


def entry_texts(n: int) -> list[str]:
    """``n`` realistic journal entries: the labelled set shipped with charlie-optimize, cycled."""
    from charlie_optimize.dataset import default_data_path, load_entries

    texts = [entry.text for entry in load_entries(default_data_path())]
    return [texts[i % len(texts)] for i in range(n)]


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of ``pid`` (default: this process) in MiB."""
    return psutil.Process(pid).memory_info().rss / 2**20


def leftover_processes(root_pid: int | None = None) -> list[str]:
    """Children of this process still alive (there should be none at the end of a bench)."""
    names = []
    for child in children_left(root_pid):
        with contextlib.suppress(psutil.Error):  # it may have exited meanwhile
            names.append(f"{child.pid} {child.name()}")
    return names

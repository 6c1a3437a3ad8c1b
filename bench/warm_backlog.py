"""A backlog through the real worker: the model kept warm vs loaded and unloaded per task.

Why: the Model Manager keeps the model resident while a backlog remains. This measures what
that buys against a process-per-task style consumer that loads the model for every task.

Both modes run the real ``charlie-worker`` consumer subprocess (Huey, redis, niceness, the
same ``read_entry`` task), on the same entries, each run in a journal of its own so the
graph starts empty every time. The only difference is the load policy: the cold worker is
the same ``charlie_worker.pipeline.cli.main`` with one more Huey ``post_execute`` hook, which
calls ``manager().unload_all()`` after every task. The import of dspy/llama_cpp that a real
process-per-task consumer would also repeat is NOT included: the cold figure is a best case.

The prompt cache (``charlie_inference.prompt_cache``: the KV state of the instructions,
kept on disk) is saved once before anything is timed, by a one-entry backlog, as it is on a
user's machine after the first entry ever read: each cold task then pays the load but not
the instructions. ``cold-uncached`` is the cold worker with the cache off
(``CHARLIE_LLM_PROMPT_CACHE=false``): every task also evaluates the instructions, the cost
the Model Manager was built to spare.

``--before REV`` runs both modes a second time on the worker code of commit ``REV`` (its
packages exported to a temp dir, this venv's dependencies), interleaved with the current
code's runs: "today" and the change, side by side on the same machine load.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

from _common import (
    WORKER_CMD,
    alternating,
    code_at,
    entry_texts,
    failed,
    leftover_processes,
    machine,
    median,
    private_db,
    ratio,
    table,
    unfinished,
    wait_until,
    worker,
    worker_ready,
)

COLD_WORKER_CMD = [
    WORKER_CMD[0],
    "-c",
    "import sys\n"
    "from charlie_worker.pipeline import cli\n"
    "from charlie_worker.pipeline.manager import manager\n"
    "from charlie_worker.store.queue import huey\n"
    "@huey.post_execute()\n"
    "def unload_after_each_task(task, value, exc):\n"
    "    manager().unload_all()\n"
    "sys.exit(cli.main())\n",
]
"""charlie-worker, unloading after every task: the process-per-task load policy."""

POLICIES = {"warm": WORKER_CMD, "cold": COLD_WORKER_CMD, "cold-uncached": COLD_WORKER_CMD}
UNCACHED = {"CHARLIE_LLM_PROMPT_CACHE": "false"}
BEFORE = "@before"
"""Suffix of a mode run on the ``--before`` revision's code."""


def run_once(
    mode: str, rep: int, texts: list[str], log_dir: Path, timeout: float, env: dict[str, str]
) -> dict:
    """Queue ``texts`` in a fresh journal, start a worker, time it from ready to drained."""
    from charlie_worker.store.journal import save_entry
    from charlie_worker.store.worker_state import read_status

    journal = f"bench-{mode.replace(BEFORE, '-before')}-{rep}"
    uuids = [save_entry(text, journal) for text in texts]  # a real backlog before the worker
    done_at: dict[str, float] = {}
    policy = POLICIES[mode.removesuffix(BEFORE)]
    with worker(policy, log=log_dir / f"{journal}.log", extra_env=env) as proc:
        wait_until(worker_ready(proc), 60, "the worker to start", poll=0.01)
        ready = time.monotonic()

        def drained() -> bool:
            now = time.monotonic()
            left = set(unfinished(uuids))
            for uuid in uuids:
                if uuid not in left:
                    done_at.setdefault(uuid, now)
            return not left

        wait_until(drained, timeout, f"the {mode} backlog to drain", poll=0.05)
        end = time.monotonic()
        # The warm worker unloads at the end of the backlog; the cold one after each task.
        wait_until(lambda: read_status().model == "", 30, "the model to be unloaded")
        report = read_status()
    finishes = sorted(done_at.values())
    gaps = [b - a for a, b in zip([ready, *finishes], finishes, strict=False)]
    elapsed = end - ready
    return {
        "mode": mode,
        "elapsed": elapsed,
        "per_min": 60 * len(texts) / elapsed,
        "gaps": gaps,
        "loads": report.loads,
        "unloads": report.unloads,
        "failed": failed(uuids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="entries per backlog (default 20)")
    parser.add_argument(
        "--reps", type=int, default=2, help="repetitions of each mode, ABBA order (default 2)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per backlog")
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also run both modes on the worker code of commit REV, interleaved (e.g. main)",
    )
    args = parser.parse_args()

    texts = entry_texts(args.n)
    modes = [*POLICIES, *(f"{m}{BEFORE}" for m in ("warm", "cold") if args.before)]
    runs: list[dict] = []
    with private_db() as data, contextlib.ExitStack() as stack:
        envs: dict[str, dict[str, str]] = {mode: {} for mode in modes}
        envs["cold-uncached"] = UNCACHED
        if args.before:
            before_env = stack.enter_context(code_at(args.before))
            envs.update({mode: before_env for mode in modes if mode.endswith(BEFORE)})
        log_dir = data / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        run_once("warm", -1, texts[:1], log_dir, args.timeout, {})  # saves the prompt cache
        for rep, mode in alternating(modes, args.reps):
            run = run_once(mode, rep, texts, log_dir, args.timeout, envs[mode])
            runs.append(run)
            print(
                f"rep {rep} {mode:11}: {run['elapsed']:6.1f} s, {run['per_min']:5.1f} entries/min, "
                f"loads {run['loads']}, unloads {run['unloads']}, failed {run['failed']}",
                flush=True,
            )

    rows = []
    stats = {}
    for mode in modes:
        mine = [r for r in runs if r["mode"] == mode]
        stats[mode] = {
            "per_min": median([r["per_min"] for r in mine]),
            "entry_s": median([g for r in mine for g in r["gaps"]]),
            "loads": median([r["loads"] for r in mine]),
        }
        rows.append(
            [
                mode,
                len(mine),
                stats[mode]["loads"],
                median([r["elapsed"] for r in mine]),
                stats[mode]["per_min"],
                stats[mode]["entry_s"],
                median([r["failed"] for r in mine]),
            ]
        )
    print()
    print(
        "code path: every mode through the real charlie-worker subprocess (Huey consumer,"
        " read_entry, no optimized program state);\n  cold = same cli.main +"
        " post_execute hook manager().unload_all() after every task: each task pays the"
        "\n  load and its request's prompt (the instructions read from the prompt cache);"
        " cold-uncached: the load AND\n  a full prompt evaluation; neither the dspy/llama_cpp"
        " import a new process would add."
    )
    print(
        table(
            [
                "mode",
                "runs",
                "model loads",
                "backlog s",
                "entries/min",
                "median s/entry",
                "failed",
            ],
            rows,
        )
    )
    print(machine())
    left = leftover_processes()
    print(f"processes left: {left or 'none'}")
    warm = stats["warm"]["per_min"]
    cold, uncached = stats["cold"]["per_min"], stats["cold-uncached"]["per_min"]
    summary = (
        f"SUMMARY warm_backlog: n={args.n} reps={args.reps}: warm {warm:.1f}"
        f" entries/min ({stats['warm']['loads']:.0f} load) vs cold"
        f" {cold:.1f} ({stats['cold']['loads']:.0f} loads): warm/cold = {ratio(warm, cold):.2f}x;"
        f" vs cold without the prompt cache {uncached:.1f}: {ratio(warm, uncached):.2f}x"
    )
    if args.before:
        before, before_cold = stats[f"warm{BEFORE}"]["per_min"], stats[f"cold{BEFORE}"]["per_min"]
        summary += (
            f"; before ({args.before}): warm {before:.1f} vs cold {before_cold:.1f} ="
            f" {ratio(before, before_cold):.2f}x; warm now/before = {ratio(warm, before):.2f}x"
        )
    print(summary)


if __name__ == "__main__":
    main()

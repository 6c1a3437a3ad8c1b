"""Worker memory: RSS before a model is loaded, loaded, after an extraction, after unload.

Why: the Model Manager unloads the model at the end of every backlog so an idle worker
gives the memory back. This checks how much really comes back (``Llama.close()`` plus the
engine's ``malloc_trim``) and whether load/unload cycles leak.

Each repetition is a fresh child process (this script with ``--child``) attached to a
private database, importing what ``charlie-worker`` imports at start, then doing what a task
does: ``manager().get("llm")``, the ``read_entry`` task on a real entry (executed with the
worker's hooks), ``manager().unload_all()``; then more load/extract/unload cycles. RSS is
split into anonymous memory (heap) and file-backed pages (the mmapped GGUF, shared libraries).
The worker imports dspy at start (``charlie_worker.pipeline.tasks`` imports the model errors
from ``charlie_inference``), so "before load" already includes it.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from _common import machine, median, private_db, run_child, table

STAGES = ["before load", "dspy+llama_cpp imported", "loaded", "after extraction", "unloaded"]


def memory() -> dict[str, float]:
    """This process's RSS, anonymous and file-backed, in MiB (from /proc/self/status)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss": fields["VmRSS"], "anon": fields["RssAnon"], "file": fields["RssFile"]}


def child(cycles: int) -> None:
    """One worker-like process: the measurements, printed as one JSON line."""
    import gc

    from _common import entry_texts, read_in_process
    from charlie_worker.pipeline import cli  # noqa: F401  (what the worker imports at start)
    from charlie_worker.pipeline.manager import manager
    from charlie_worker.store.connection import close_db, get_db
    from charlie_worker.store.entries import add_entry

    get_db()
    journal = f"bench-mem-{os.getpid()}"
    texts = entry_texts(cycles)
    uuids = [add_entry(text, journal) for text in texts]  # saved, not queued: read here
    gc.collect()
    out: dict[str, object] = {"before load": memory()}
    import dspy  # noqa: F401
    import llama_cpp  # noqa: F401

    from charlie_inference import EntityMatcher, load_extractor  # noqa: F401

    out["dspy+llama_cpp imported"] = memory()
    unloaded = []
    for cycle, uuid in enumerate(uuids):
        manager().get("llm")
        if cycle == 0:
            out["loaded"] = memory()
        read_in_process(uuid, journal)
        if cycle == 0:
            out["after extraction"] = memory()
        manager().unload_all()  # the last task's hook already did; this makes sure
        gc.collect()
        unloaded.append(memory())
    out["unloaded"] = unloaded[0]
    out["unloaded per cycle"] = [m["rss"] for m in unloaded]
    close_db()
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="fresh processes (default 3)")
    parser.add_argument(
        "--cycles", type=int, default=3, help="load/extract/unload cycles per process"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.cycles)
        return

    from _common import socket_env

    runs = []
    with private_db():
        for rep in range(args.reps):
            runs.append(
                run_child([__file__, "--child", "--cycles", str(args.cycles)], env=socket_env())
            )
            print(f"rep {rep}: " + ", ".join(f"{s} {runs[-1][s]['rss']:.0f}" for s in STAGES))

    rows = [
        [stage, *(median([r[stage][k] for r in runs]) for k in ("rss", "anon", "file"))]
        for stage in STAGES
    ]
    print()
    print(table(["stage", "RSS MiB", "anon MiB", "file MiB"], rows))
    per_cycle = [median([r["unloaded per cycle"][i] for r in runs]) for i in range(args.cycles)]
    print("RSS after each unload (cycle 1..n): " + ", ".join(f"{v:.1f}" for v in per_cycle))
    before = median([r["before load"]["rss"] for r in runs])
    loaded = median([r["after extraction"]["rss"] for r in runs])
    left = median([r["unloaded"]["rss"] - r["before load"]["rss"] for r in runs])
    imports = median([r["dspy+llama_cpp imported"]["rss"] - r["before load"]["rss"] for r in runs])
    growth = per_cycle[-1] - per_cycle[0]
    print(machine())
    print(
        f"SUMMARY memory: reps={args.reps}: worker RSS {before:.0f} MiB before load, "
        f"{loaded:.0f} loaded (after an extraction), leftover after unload {left:.0f} MiB "
        f"(of which {imports:.0f} MiB is importing dspy/llama_cpp); "
        f"{growth:+.1f} MiB over {args.cycles - 1} more load/unload cycles"
    )


if __name__ == "__main__":
    main()

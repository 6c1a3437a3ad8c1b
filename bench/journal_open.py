"""Opening a journal of 10, 1,000 and 10,000 entries: a fresh process until its graph is ready.

Why: the app opens the journal right after its first frame, and the worker cannot start before
that. The embedded server keeps the journal in an append-only file (AOF) and, started, reads it
all back: redis compacts that file into a snapshot only past a size (64 MB by default), so until
then a start replayed every write the journal ever had (each entry saved, read, corrected),
and the opening grew with the journal's history, not its size.

Each journal is written by a child process of the code measured (``--before REV``: commit
REV's packages, through ``_common.code_at``; and this code): entries saved and read, each
with a person filed as the worker files one. Then each is opened ``--reps`` times, each time
by a new process that imports the store, starts the server on it (``get_db``) and selects
the journal's graph (``select_graph``: the schema's indexes, which FalkorDB builds again
after a replay) and closes it, in the order before, after, after, before. Closing used to
write a snapshot of the whole journal beside the AOF, which no start reads; so did redis'
save points while the journal was written (the forks are counted as each journal is built).
The files on disk are listed:
the snapshot part of the AOF and the writes replayed after it. "upgrade" is the before
code's journal of the largest size opened by this code: its first opening still replays the
old history, and the server compacts it meanwhile; the next ones do not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import code_at, entry_texts, machine, median, ratio, table

OPEN = """
import json, time
t0 = time.perf_counter()
from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.connection import close_db, get_db
from charlie_worker.store.graphs import select_graph
t1 = time.perf_counter()
get_db()
t2 = time.perf_counter()
select_graph(DEFAULT_JOURNAL)
t3 = time.perf_counter()
# The app stays open: let a compaction the start set off end before closing (not timed).
time.sleep(0.2)
while get_db().client.info("persistence")["aof_rewrite_in_progress"]:
    time.sleep(0.05)
t4 = time.perf_counter()
close_db()
print(json.dumps({"server": t2 - t1, "graph": t3 - t2, "close": time.perf_counter() - t4}))
"""


def build(size: int) -> None:
    """This process's code writes a journal of ``size`` entries, read, into CHARLIE_DATA_DIR."""
    from charlie_worker.settings import DEFAULT_JOURNAL
    from charlie_worker.store.connection import close_db, get_db
    from charlie_worker.store.entities import Mention, file_mentions
    from charlie_worker.store.entries import add_entry
    from charlie_worker.store.episode_state import remove_episode_from_queue
    from charlie_worker.store.names import normal_name

    for index, text in enumerate(entry_texts(size)):
        episode = add_entry(text, DEFAULT_JOURNAL)
        name = f"Person {index % 500}"
        person = Mention(name, "Person", str(uuid.uuid4()), normal_name(name), True)
        file_mentions(episode, DEFAULT_JOURNAL, [person])
        remove_episode_from_queue(episode)
    client = get_db().client
    saves = client.info("persistence")
    print(
        json.dumps(
            {
                "forks": client.info("stats")["total_forks"],
                "snapshots": saves["rdb_saves"],
                "compactions": saves["aof_rewrites"],
            }
        )
    )
    close_db()


def aof_parts(data: Path) -> tuple[int, int]:
    """Bytes of the AOF's snapshot part and of the writes after it."""
    files = list((data / "db" / "appendonlydir").glob("*"))
    base = sum(f.stat().st_size for f in files if f.name.endswith(".base.rdb"))
    incr = sum(f.stat().st_size for f in files if f.name.endswith(".incr.aof"))
    return base, incr


def child(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 10_000])
    parser.add_argument("--reps", type=int, default=6, help="openings of each journal")
    parser.add_argument("--before", metavar="REV", default="1a2d51f", help="the code before")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # a child's journal size
    args = parser.parse_args()
    if args.build is not None:
        build(args.build)
        return

    root = Path(tempfile.mkdtemp(prefix="charlie-bench-open-"))
    opened: dict[tuple[str, int], list[dict[str, float]]] = {}
    files: dict[tuple[str, int], tuple[int, int]] = {}
    try:
        with code_at(args.before) as before_env:
            envs = {"before": {**os.environ, **before_env}, "after": dict(os.environ)}
            dirs = {}
            for code, env in envs.items():
                for size in args.sizes:
                    data = root / f"{code}-{size}"
                    dirs[code, size] = data
                    start = time.perf_counter()
                    build_env = {**env, "CHARLIE_DATA_DIR": str(data)}
                    forks = json.loads(child([__file__, "--build", str(size)], build_env))
                    print(
                        f"{code}: {size} entries written in {time.perf_counter() - start:.1f} s; "
                        f"the server forked {forks['forks']} times: {forks['snapshots']} "
                        f"snapshot(s) beside the AOF, {forks['compactions']} compaction(s)"
                    )
            largest = max(args.sizes)
            shutil.copytree(dirs["before", largest], root / "upgrade")
            dirs["upgrade", largest] = root / "upgrade"
            envs["upgrade"] = envs["after"]
            for key in dirs:
                opened[key] = []
            for turn in range(args.reps):
                order = ["before", "after"] if turn % 2 == 0 else ["after", "before"]
                for code in [*order, "upgrade"]:
                    for size in args.sizes if code != "upgrade" else [largest]:
                        env = {**envs[code], "CHARLIE_DATA_DIR": str(dirs[code, size])}
                        opened[code, size].append(json.loads(child(["-c", OPEN], env)))
            for key, data in dirs.items():
                files[key] = aof_parts(data)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    def ms(key: tuple[str, int], part: str | None = None, runs: slice = slice(None)) -> float:
        values = [1000 * (o[part] if part else o["server"] + o["graph"]) for o in opened[key][runs]]
        return median(values)

    smallest = min(args.sizes)
    rows = []
    for key in opened:
        code, size = key
        base, incr = files[key]
        rows.append(
            [
                code,
                size,
                ms(key, "server"),
                ms(key, "graph"),
                ms(key),
                ratio(ms(key), ms((code if code != "upgrade" else "after", smallest))),
                ms(key, "close"),
                f"{base / 1e6:.2f} / {incr / 1e6:.2f}",
            ]
        )
    print()
    print(
        table(
            [
                "code",
                "entries",
                "server ms",
                "graph ms",
                "open ms",
                "vs smallest",
                "close ms",
                "AOF MB snapshot / writes after",
            ],
            rows,
        )
    )
    upgrade = ("upgrade", largest)
    print(
        f"upgrade: first opening {1000 * sum(opened[upgrade][0].values()):.0f} ms, "
        f"later ones median {ms(upgrade, runs=slice(1, None)):.0f} ms"
    )
    print(machine())
    print(
        f"SUMMARY journal_open: reps={args.reps}: opening {largest:,} entries vs {smallest:,}: "
        f"{ratio(ms(('after', largest)), ms(('after', smallest))):.2f}x now "
        f"({ms(('after', largest)):.0f} vs {ms(('after', smallest)):.0f} ms), "
        f"{ratio(ms(('before', largest)), ms(('before', smallest))):.2f}x before {args.before} "
        f"({ms(('before', largest)):.0f} vs {ms(('before', smallest)):.0f} ms); at {largest:,} "
        f"before/now {ratio(ms(('before', largest)), ms(('after', largest))):.2f}x; closing "
        f"{largest:,} entries {ms(('after', largest), 'close'):.0f} ms now, "
        f"{ms(('before', largest), 'close'):.0f} ms before ({smallest:,}: "
        f"{ms(('after', smallest), 'close'):.0f} vs {ms(('before', smallest), 'close'):.0f} ms)"
    )


if __name__ == "__main__":
    main()

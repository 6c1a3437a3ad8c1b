"""Resolution at scale: does reading an entry cost more as the journal knows more entities?

Why: the worker matches every name it finds against the entities the journal already has
(exact name or alias, then fuzzy candidates, then the model), and tells the extractor the
journal's names that occur in the entry. If that meant reading every entity, a journal of
10,000 entities would read each entry far slower than a new one.

How: one private database holds one journal per size (``--sizes``, default 10, 1,000 and
10,000 entities). Each journal gets the same ``--entries`` real entries (the labelled set
shipped with charlie-optimize) and is filled up to its size with generated people, places,
organisations and things, filed through the worker's own write path. Every entry is read
once to warm up (so its own names are known everywhere: exact matches and the journal's
memory are exercised), then read again ``--reps`` times per size in ABBA order with the real
``extract_nodes`` on a scripted model (``tests/kit/fake_lm.py``): everything but the model's
thinking. Figures: the median time per entry, as a ratio to the smallest journal, and where
the time goes (the store and resolution calls ``extract_nodes`` makes, timed in place). The
CPU time per entry (this process and the embedded server, where FalkorDB runs the queries) is
given too: on a machine shared with other jobs it counts only the reading's own work, where
wall time also counts the waits for a core.

``--before REV`` measures the worker code of commit ``REV`` and this code in one sitting: child
processes (``REV``'s packages through ``_common.code_at``) in the order before, after, after,
before, half the repetitions each, then one table per code, each with its own ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from _common import (
    add_before_after_arguments,
    alternating,
    before_after,
    entry_texts,
    machine,
    measure_here,
    median,
    private_db,
    ratio,
    table,
)

SYLLABLES = re.findall(
    r"\w+",
    "ka ri mo na le ta vi so pe lu da ne ko ba mi ra to shi an el or en ul ar in os "
    "ze fa go hu ja ki lo ma nu pa qu ro sa ti vo wa ya zu be ci de fi ge",
)
PLACE_HEADS = ("Road", "Park", "Street", "Market", "Hill", "Station", "Cafe", "Lake")
ORG_HEADS = ("Bank", "Labs", "Academy", "Group", "Studios", "Council", "Club", "Partners")
KINDS = ("Person",) * 6 + ("Place",) * 2 + ("Organization", "Thing")


def generated_names(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct (name, type) pairs: two-word people, "<Word> Road" places, "<Word>
    Bank" organisations, one-word things. Words are made of syllables, so some share a first
    name or a head noun, as a real journal's do."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

    first_names = [word() for _ in range(max(8, n // 20))]  # ~20 people share a first name
    names: dict[str, str] = {}
    while len(names) < n:
        kind = rng.choice(KINDS)
        if kind == "Person":
            name = f"{rng.choice(first_names)} {word()}"
        elif kind == "Place":
            name = f"{word()} {rng.choice(PLACE_HEADS)}"
        elif kind == "Organization":
            name = f"{word()} {rng.choice(ORG_HEADS)}"
        else:
            name = word()
        names.setdefault(name, kind)
    return list(names.items())


def new_name_entries(n: int, rep: int) -> list[str]:
    """``n`` entries, each naming a person, a place, an organisation and a thing no journal
    has yet (generated with another seed for every repetition; deleted after their read)."""
    names = generated_names(40 * n, seed=rep + 1)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for name, kind in names:
        by_kind[kind].append(name)
    return [
        f"Lunch with {by_kind['Person'][i]} near {by_kind['Place'][i]} today. "
        f"{by_kind['Organization'][i]} called about the {by_kind['Thing'][i]}."
        for i in range(n)
    ]


def typing_script(prompt: str) -> str:
    """The scripted model: each candidate it is asked about gets a type fixed by its name,
    and the entity matcher's question ("which of these is it?") is answered "none"."""
    import zlib

    from kit.fake_lm import types_answer

    if prompt.startswith("name: "):  # the matcher's request: name, entry, candidates
        return json.dumps({"match": "none"})
    # The request is the prompt's last "candidates: [...]" line (the demos' come before it).
    listed = re.findall(r"^candidates: (\[.*\])$", prompt, re.MULTILINE)
    asked = json.loads(listed[-1]) if listed else []
    choices = ("None", "Person", "Place", "Organization", "Thing")
    return types_answer(*((name, choices[zlib.crc32(name.encode()) % 5]) for name in asked))


def fill(journal: str, size: int) -> None:
    """File ``size`` generated entities in ``journal`` (mentioned by one finished entry)."""
    import uuid

    from charlie_worker.store.entities import Mention, file_mentions
    from charlie_worker.store.entries import add_entry
    from charlie_worker.store.episode_state import remove_episode_from_queue
    from charlie_worker.store.names import normal_name

    holder = add_entry("The journal's earlier years.", journal)
    mentions = [
        Mention(name, kind, str(uuid.uuid4()), normal_name(name), True)
        for name, kind in generated_names(size)
    ]
    file_mentions(holder, journal, mentions)
    remove_episode_from_queue(holder)


def timed_calls(module: Any, names: list[str]) -> dict[str, list[float]]:
    """Wrap ``module.<name>`` for each name so every call's seconds are recorded, under the
    name, and under ``TOP`` when no other wrapped call is running (a lookup that resolution
    makes is counted in ``resolve`` too; ``TOP`` counts it once)."""
    spent: dict[str, list[float]] = defaultdict(list)
    depth = [0]
    for name in names:
        original: Callable[..., Any] = getattr(module, name)

        def timing(*args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any) -> Any:
            start = time.perf_counter()
            depth[0] += 1
            try:
                return _f(*args, **kw)
            finally:
                depth[0] -= 1
                spent[_n].append(time.perf_counter() - start)
                if depth[0] == 0:
                    spent[TOP].append(time.perf_counter() - start)

        setattr(module, name, wraps(original)(timing))
    return spent


TOP = "all store and resolution calls"
MATCHER = "matcher"
MATCHER_CPU = "matcher cpu"


def cpu_seconds(server: int) -> float:
    """CPU seconds used so far by this process and by the embedded server (pid ``server``):
    the work of reading entries, not the time spent waiting for a core. The server's is the
    sum of its threads' ``schedstat`` (nanoseconds; ``psutil`` counts in ticks of 10 ms, too
    coarse for a few entries), or ``psutil``'s where there is no ``/proc``."""
    try:
        tasks = Path(f"/proc/{server}/task").iterdir()
        used = sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
    except OSError:
        import psutil

        times = psutil.Process(server).cpu_times()
        used = times.user + times.system
    return time.process_time() + used


def time_the_matcher(matcher: type, spent: dict[str, list[float]]) -> None:
    """Record each call of the entity matcher (the model's tier of resolution, on the
    scripted model here) under ``MATCHER``, and its CPU seconds under ``MATCHER_CPU``: a bigger
    journal has more ambiguous names."""
    call = matcher.__call__

    def timed(self: Any, *args: Any, **kw: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return call(self, *args, **kw)
        finally:
            spent[MATCHER].append(time.perf_counter() - start)
            spent[MATCHER_CPU].append(time.process_time() - cpu)

    matcher.__call__ = timed


def store_calls(module: Any) -> list[str]:
    """The names ``extract_nodes`` calls that hold no model: store reads/writes, resolution."""
    return sorted(
        name
        for name, value in vars(module).items()
        if callable(value)
        and getattr(value, "__module__", "").startswith(
            ("charlie_worker.store.", "charlie_worker.pipeline.resolution")
        )
        and not isinstance(value, type)
    )


Figures = dict[str, Any]
"""One measurement, raw and JSON-ready: ``calls`` (the timed call names), ``reads`` (entries
read per size), ``times`` (seconds per entry under ``"<mode>|<size>"``), ``cpu`` (seconds
summed under the same keys, the matcher's own under ``"<mode> matcher|<size>"``) and
``parts`` (seconds per call name, per size)."""


def key(mode: str, size: int) -> str:
    return f"{mode}|{size}"


def measure(args: argparse.Namespace) -> Figures:
    """Fill one journal per size, then read its entries ``args.reps`` times in ABBA order."""
    from charlie_worker.pipeline import extraction
    from charlie_worker.pipeline import manager as manager_module
    from charlie_worker.pipeline.manager import ModelManager
    from charlie_worker.store.connection import server_pid
    from charlie_worker.store.entries import add_entry, delete_entry
    from kit.fake_lm import ScriptedLM

    manager_module._manager = ModelManager({"llm": lambda: ScriptedLM(typing_script)})
    texts = entry_texts(args.entries)
    times: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, float] = defaultdict(float)
    parts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with private_db():
        entries: dict[int, list[str]] = {}
        for size in args.sizes:
            journal = f"scale-{size}"
            fill(journal, size)
            entries[size] = [add_entry(text, journal) for text in texts]
            for uuid in entries[size]:  # warm-up: the entries' own names are filed
                extraction.extract_nodes(uuid, journal)

        calls = store_calls(extraction)
        recorder = timed_calls(extraction, calls)
        time_the_matcher(extraction.EntityMatcher, recorder)
        server = server_pid()
        labels = [str(size) for size in args.sizes]
        for rep, label in alternating(labels, args.reps):
            size = int(label)
            journal = f"scale-{size}"
            fresh = [add_entry(text, journal) for text in new_name_entries(args.entries, rep)]
            recorder.clear()
            for mode, uuids in (("known", entries[size]), ("new", fresh)):
                cpu_start, matcher_calls = cpu_seconds(server), len(recorder[MATCHER_CPU])
                for uuid in uuids:
                    asked = len(recorder[MATCHER])
                    start = time.perf_counter()
                    extraction.extract_nodes(uuid, journal)
                    seconds = time.perf_counter() - start
                    times[key(mode, size)].append(seconds)
                    matcher = sum(recorder[MATCHER][asked:])
                    times[key(f"{mode} minus matcher", size)].append(seconds - matcher)
                cpu[key(mode, size)] += cpu_seconds(server) - cpu_start
                cpu[key(f"{mode} matcher", size)] += sum(recorder[MATCHER_CPU][matcher_calls:])
            for name, seconds in recorder.items():
                parts[str(size)][name] += sum(seconds)
            for uuid in fresh:  # the journal goes back to its size: their entities go too
                delete_entry(uuid, journal)
        manager_module.manager().unload_all()
    reads = {str(size): 2 * args.entries * args.reps for size in args.sizes}
    return {"calls": calls, "reads": reads, "times": times, "cpu": cpu, "parts": parts}


def merged(runs: list[Figures]) -> Figures:
    """Several measurements of the same code as one: times pooled, seconds and reads summed."""
    total: Figures = {"calls": runs[0]["calls"], "reads": defaultdict(int)}
    total |= {"times": defaultdict(list), "cpu": defaultdict(float), "parts": defaultdict(dict)}
    for run in runs:
        for size, n in run["reads"].items():
            total["reads"][size] += n
        for name, values in run["times"].items():
            total["times"][name] += values
        for name, seconds in run["cpu"].items():
            total["cpu"][name] += seconds
        for size, spent in run["parts"].items():
            for name, seconds in spent.items():
                total["parts"][size][name] = total["parts"][size].get(name, 0.0) + seconds
    return total


def report(args: argparse.Namespace, figures: Figures, label: str = "") -> None:
    """The tables and the SUMMARY line of one code's figures."""
    calls, reads, times, cpu = figures["calls"], figures["reads"], figures["times"], figures["cpu"]
    parts = figures["parts"]

    def ms(mode: str, size: int) -> float:
        return median(times[key(mode, size)]) * 1000

    def cpu_ms(mode: str, size: int) -> float:
        if mode == "new minus matcher":
            spent = cpu[key("new", size)] - cpu[key("new matcher", size)]
        else:
            spent = cpu[key(mode, size)]
        return spent / (reads[str(size)] / 2) * 1000

    first = args.sizes[0]

    def scaling(measure: Callable[[str, int], float], size: int) -> list[float]:
        """Known and new entries at ``size``, each with its ratio to the smallest journal,
        and the new entries' ratio without the matcher's calls."""
        return [
            measure("known", size),
            ratio(measure("known", size), measure("known", first)),
            measure("new", size),
            ratio(measure("new", size), measure("new", first)),
            ratio(measure("new minus matcher", size), measure("new minus matcher", first)),
        ]

    rows = [
        [
            f"{size:,}",
            *scaling(ms, size),
            *(
                parts[str(size)].get(name, 0.0) / reads[str(size)] * 1000
                for name in [*calls, MATCHER]
            ),
            (sum(times[key("known", size)] + times[key("new", size)]) - parts[str(size)][TOP])
            / reads[str(size)]
            * 1000,
        ]
        for size in args.sizes
    ]
    print(
        f"{args.entries} entries x {reads[str(first)] // 2 // args.entries} reads per journal "
        "size, scripted model. known: the real entries read again (their names are the "
        "journal's); new: entries naming people, places, organisations and things the journal "
        "has never seen. ms per entry (median), its ratio to the smallest journal, then per "
        "call extract_nodes makes, mean ms per entry of both kinds (resolve includes "
        "candidates_for and the matcher: the model asked which entity an ambiguous name is; "
        "extractor: the rest, the program's own work on the scripted model)"
    )
    headers = ["entities", "known ms", "ratio", "new ms", "ratio", "ratio w/o matcher"]
    print(table([*headers, *calls, MATCHER, "extractor"], rows))
    cpu_rows = [[f"{size:,}", *scaling(cpu_ms, size)] for size in args.sizes]
    print(
        "CPU ms per entry (mean), this process and the embedded server together: the "
        "reading's own work, whatever else the machine runs"
    )
    cpu_headers = ["entities", "known cpu ms", "ratio", "new cpu ms", "ratio"]
    print(table([*cpu_headers, "ratio w/o matcher"], cpu_rows))
    print(machine())
    largest = args.sizes[-1]
    print(
        f"SUMMARY resolution_scale{label}: per-entry time with {largest:,} known entities is "
        f"{ratio(ms('known', largest), ms('known', first)):.2f}x the time with {first:,} "
        f"(entries of known names), {ratio(ms('new', largest), ms('new', first)):.2f}x "
        "(entries of new names; "
        f"{ratio(ms('new minus matcher', largest), ms('new minus matcher', first)):.2f}x "
        "without the matcher's model calls); CPU time "
        f"{ratio(cpu_ms('known', largest), cpu_ms('known', first)):.2f}x known, "
        f"{ratio(cpu_ms('new', largest), cpu_ms('new', first)):.2f}x new, "
        f"{ratio(cpu_ms('new minus matcher', largest), cpu_ms('new minus matcher', first)):.2f}x "
        "new without the matcher"
    )


def compare(args: argparse.Namespace) -> None:
    """This measurement on commit ``args.before``'s code and on this code, each in child
    processes, in the order before, after, after, before (half the repetitions each): a load
    that drifts during the run weighs on both codes alike."""
    argv = ["--sizes", *map(str, args.sizes), "--entries", str(args.entries)]
    argv += ["--reps", str(max(1, args.reps // 2))]
    runs = before_after(__file__, argv, args.before)
    for code, label in (("before", f" (before: {args.before})"), ("after", " (after: this code)")):
        print(f"\n{code}:")
        report(args, merged(runs[code]), label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 10_000])
    parser.add_argument("--entries", type=int, default=20, help="entries read per journal")
    parser.add_argument("--reps", type=int, default=4, help="timed reads of each entry")
    add_before_after_arguments(parser, "worker code")
    args = parser.parse_args()
    if (figures := measure_here(args, measure, compare)) is not None:
        report(args, figures)


if __name__ == "__main__":
    main()

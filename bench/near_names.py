"""Near names at scale: the near-name search of a new name in a big journal, its time and what
it finds.

Why: a name the journal does not have is looked up among the journal's near names
(``store.entities.candidates_for``: a full-text search of its words within a typo, as a
prefix, cut short) so that resolution can tell a typo or a short form of a known name from a
new one. A bigger journal has more names sharing a word or a typo's worth of letters with any
name: the search must not grow with it, nor miss what resolution needs.

How: one private database holds two journals of generated entities (``resolution_scale``'s
names, filed by its ``fill``): ``--small`` and ``--size``. Time: ``candidates_for`` of
``--new`` generated names neither journal has, best of three calls each, mean ms a name in
each journal. What it finds, in the big journal: those new names and ``--known`` of its names
each written five ways (``kit.misspellings``: a typo, the first word, run together, a letter
left out, two letters swapped). For each, resolution's answer and the question it would put to
the model on the indexed candidates, against the same with every entity of the journal as
candidates (a scan, what the index stands in for): "same as scan" counts the names answered
and asked alike, "meant found" the misspelt names resolved to, or asked about, the entity
meant, "asked" the new names the model would be asked about.

``--before REV`` measures the code of commit ``REV`` too (child processes, REV's packages
through ``_common.code_at``), in the order before, after, after, before; times are pooled.
"""

from __future__ import annotations

import argparse
import random
import time
from functools import partial
from typing import Any

from _common import (
    add_before_after_arguments,
    before_after,
    machine,
    measure_here,
    ratio,
    table,
)
from resolution_scale import fill, generated_names

SMALL, BIG = "near-small", "near-big"


def best_of_three(call: Any) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def asking(questions: list[list[str]]) -> Any:
    """A model's stand-in that notes each question (the candidates offered) and says "none"."""

    def ask(_name: str, candidates: list[str]) -> None:
        questions.append(candidates)

    return ask


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Fill both journals, then time the new names' searches and compare resolution with a
    scan in the big journal."""
    from _common import private_db
    from charlie_inference import Entity
    from charlie_worker.pipeline.resolution import resolve
    from charlie_worker.store.entities import candidates_for, known_entities
    from charlie_worker.store.names import normal_name
    from kit.misspellings import misspellings

    with private_db():
        fill(SMALL, args.small)
        fill(BIG, args.size)
        every = known_entities(BIG)
        known = {k.norm for k in every}
        new = [
            (n, t) for n, t in generated_names(4 * args.new, seed=1) if normal_name(n) not in known
        ]
        new = new[: args.new]
        ms = {
            journal: sum(
                best_of_three(partial(candidates_for, journal, normal_name(name), kind))
                for name, kind in new
            )
            / len(new)
            * 1000
            for journal in (SMALL, BIG)
        }
        rng = random.Random(3)
        meant = {
            (written, k.type): k
            for k in rng.sample(every, args.known)
            for written in misspellings(k.name, rng)[2:]
        }
        same = found = asked = 0
        for name, kind in [*new, *meant]:
            questions: dict[str, list[list[str]]] = {"index": [], "scan": []}
            entity = [Entity(name=name, type=kind)]
            [indexed] = resolve(entity, partial(candidates_for, BIG), asking(questions["index"]))
            [scanned] = resolve(entity, lambda *_: every, asking(questions["scan"]))
            same += (indexed.is_new, indexed.norm, questions["index"]) == (
                scanned.is_new,
                scanned.norm,
                questions["scan"],
            )
            if (name, kind) in meant:
                k = meant[name, kind]
                found += indexed.uuid == k.uuid or any(k.name in q for q in questions["index"])
            else:
                asked += bool(questions["index"])
    return {
        "ms": ms,
        "names": len(new) + len(meant),
        "same": same,
        "misspelt": len(meant),
        "found": found,
        "new": len(new),
        "asked": asked,
    }


def row(label: str, runs: list[dict[str, Any]]) -> list[object]:
    small = sum(run["ms"][SMALL] for run in runs) / len(runs)
    big = sum(run["ms"][BIG] for run in runs) / len(runs)
    first = runs[0]
    return [
        label,
        small,
        big,
        ratio(big, small),
        f"{first['same']} of {first['names']}",
        f"{first['found']} of {first['misspelt']}",
        f"{first['asked']} of {first['new']}",
    ]


def report(args: argparse.Namespace, rows: list[list[object]]) -> None:
    print(
        f"candidates_for of {args.new} new names, mean ms a name (best of 3) in journals of "
        f"{args.small:,} and {args.size:,} entities; in the big journal, resolution on the "
        "indexed candidates against a scan of every entity"
    )
    headers = [
        "code",
        f"ms at {args.small:,}",
        f"ms at {args.size:,}",
        "ratio",
        "same as scan",
        "meant found",
        "new asked",
    ]
    print(table(headers, rows))
    print(machine())
    for label, small, big, grown, same, found, _asked in rows:
        print(
            f"SUMMARY near_names ({label}): a new name's near-name search {small:.2f} ms at "
            f"{args.small:,} entities, {big:.2f} ms at {args.size:,} ({grown:.2f}x); "
            f"resolution as a scan would for {same} names, the entity meant found for {found} "
            "misspelt names"
        )


def compare(args: argparse.Namespace) -> None:
    """This measurement on commit ``args.before``'s code and on this code, in child
    processes, before, after, after, before."""
    argv = [f"--{name}={getattr(args, name)}" for name in ("size", "small", "new", "known")]
    runs = before_after(__file__, argv, args.before)
    report(args, [row(f"before: {args.before}", runs["before"]), row("after", runs["after"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="entities of the big journal")
    parser.add_argument("--small", type=int, default=10, help="entities of the small journal")
    parser.add_argument("--new", type=int, default=300, help="new names looked up")
    parser.add_argument("--known", type=int, default=80, help="known names misspelt")
    add_before_after_arguments(parser)
    args = parser.parse_args()
    if (figures := measure_here(args, measure, compare)) is not None:
        report(args, [row("this code", [figures])])


if __name__ == "__main__":
    main()

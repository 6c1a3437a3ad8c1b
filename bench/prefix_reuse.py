"""Prompt-prefix reuse across a warm backlog: prompt tokens evaluated, entry 1 vs 2..N.

Why: every extraction prompt starts with the same instructions (and the optimized program's
demos); with the model kept warm, llama.cpp keeps them in its KV cache and evaluates only the
new entry's text. This measures how much of each prompt is reused, and what that saves,
against the same backlog with the cache reset before every entry (``Llama.reset()``, and
the KV states the engine keeps for other programs dropped).

Both modes run the worker's own task (``read_entry``, executed with the worker's Huey hooks)
in this process on a private database, with the Model Manager loading the model once per
backlog; each run uses a
journal of its own so the graph (and so the entity-matcher calls) start the same. Ground truth
for "evaluated" is llama.cpp's ``n_p_eval`` counter around each engine call (tokens evaluated
in batches: the prompt's new tokens and, since answers are decoded at their choices, the
answer's fixed text fed with them); it is checked against what the engine reports to DSPy
(``lm.history[i]["usage"]``, ``cached_tokens``): prompt - cached ≤ evaluated ≤ that + the
answer's tokens. That fixed text is output, not prompt: the summary also gives the prompt
tokens alone (per call, the engine's prompt - cached), the count the issue's goal names.
The matcher's prompt shares almost nothing with the extractor's: entries of the backlog name
earlier people again (as a journal does), so resolution asks the matcher, once or (for "Amara
and Jonas") twice in one entry; the extraction right after shows whether the extractor's cached
prefix survived them. Per entry, every call's evaluated tokens are summed (extraction and
matcher calls alike) and compared with entry 1's.

The prompt cache (``charlie_inference.prompt_cache``: the instructions' KV state, kept on disk
across loads) is on in ``reuse`` mode, saved for both programs by a short backlog before
anything is counted, as on a user's machine after the first entries ever read: so the
backlog's first entry, and its first matcher call, start from the saved instructions. In
``reset`` mode it is off (``CHARLIE_LLM_PROMPT_CACHE=false``): nothing is reused, and its entry
1 is the yardstick, the whole prompt.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from typing import Any

from _common import (
    alternating,
    entry_texts,
    machine,
    median,
    private_db,
    ratio,
    read_in_process,
    table,
)

MODES = ["reuse", "reset"]

FOLLOW_UPS = {
    1: "Met Amara Nwosu at the conference, then called Jonas Berg.",
    2: "Coffee with Amara Okafor before the review; Jonas Becker from Halcyon Bank joined us.",
    3: "Lunch with Amara and Jonas today.",
    6: "Amara called about the billing dashboard.",
}
"""Entries (by 0-based position) that name people of earlier entries again, as a real journal
does: "Amara" after "Amara Nwosu" and "Amara Okafor" could be either, so the worker asks the
entity matcher; "Amara and Jonas" asks it twice in one entry. (Names the shipped entries
before them do not use: a name the journal knows is found as it is known.) Two people of each
first name, since the first name or surname of the one known person with it is answered by
the matcher's rule without the model when a word says it is a person's ("Lunch with Amara",
"Okafor called": ``entity_matcher.first_or_last_name_of_one``): those entries would not ask
it at all, and the bench would lose its entry with several calls."""


def write_demo_state(path: Path, k: int) -> None:
    """An optimized-program state with ``k`` labelled demos, as charlie-optimize saves one."""
    from charlie_inference import EntityExtractor
    from charlie_optimize.dataset import default_data_path, load_entries, to_example
    from charlie_optimize.state import save_program

    train = [e for e in load_entries(default_data_path()) if e.split == "train"]
    program = EntityExtractor()
    program.classify.demos = [to_example(e) for e in train[-k:]]
    save_program(program, path)


class Recorder:
    """Wraps ``LlamaCppEngine.complete``: per call, llama.cpp's own prompt counters."""

    def __init__(self) -> None:
        import llama_cpp

        from charlie_inference.engine import LlamaCppEngine, _text
        from charlie_inference.programs.entity_matcher import MatchEntity

        self.calls: list[dict[str, Any]] = []
        original = LlamaCppEngine.complete

        def complete(engine: LlamaCppEngine, request: Any) -> Any:
            ctx = engine.llama._ctx.ctx
            llama_cpp.llama_perf_context_reset(ctx)
            start = time.perf_counter()
            response = original(engine, request)
            wall = time.perf_counter() - start
            perf = llama_cpp.llama_perf_context(ctx)
            system = _text(request.system) if request.system is not None else ""
            self.calls.append(
                {
                    "kind": "match"
                    if MatchEntity.instructions.split("\n")[0] in system
                    else "extract",
                    "prompt": response.usage.input_tokens,
                    "reported_cached": response.usage.cache_read_tokens,
                    "answer": response.usage.output_tokens or 0,
                    "evaluated": perf.n_p_eval,
                    "prompt_ms": perf.t_p_eval_ms,
                    "wall": wall,
                    "output": response.message.text,
                }
            )
            return response

        LlamaCppEngine.complete = complete  # type: ignore[method-assign]


def run_backlog(mode: str, rep: int, texts: list[str], recorder: Recorder) -> list[dict]:
    """One warm backlog through the worker's task; per entry, its calls and wall time."""
    from charlie_worker.pipeline.manager import MODELS, manager
    from charlie_worker.store.entries import add_entry

    journal = f"bench-{mode}-{rep}"
    uuids = [add_entry(text, journal) for text in texts]  # saved, not queued: read here
    histories: list[list[dict]] = []
    entries = []
    for index, uuid in enumerate(uuids):
        lm = MODELS["llm"]["model"]
        if mode == "reset" and lm is not None:
            lm.llama_engine.llama.reset()  # forget the previous entry's KV cache,
            lm.llama_engine._parked.clear()  # and the programs' KV the engine put aside
        first_call = len(recorder.calls)
        start = time.perf_counter()
        read_in_process(uuid, journal)
        wall = time.perf_counter() - start
        lm = MODELS["llm"]["model"] or lm
        if lm is not None and (not histories or histories[-1] is not lm.history):
            histories.append(lm.history)
        entries.append({"index": index, "wall": wall, "calls": recorder.calls[first_call:]})
    manager().unload_all()  # the last entry's hook already did; this makes sure
    # What DSPy saw must be what llama.cpp did: the engine's report, via lm.history.
    reported = [
        h["usage"]["prompt_tokens_details"]["cached_tokens"] for hist in histories for h in hist
    ]
    calls = [c for e in entries for c in e["calls"]]
    for call, cached in zip(calls, reported, strict=False):
        call["history_cached"] = cached
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="entries per backlog (default 8)")
    parser.add_argument(
        "--reps", type=int, default=2, help="backlogs per mode, ABBA order (default 2)"
    )
    parser.add_argument(
        "--demos", type=int, default=3, help="labelled demos in the program state (default 3)"
    )
    parser.add_argument(
        "--no-recurring",
        action="store_true",
        help=f"keep the shipped entries at positions {sorted(FOLLOW_UPS)} (0-based)",
    )
    args = parser.parse_args()

    texts = entry_texts(args.n)
    if not args.no_recurring:
        for index, text in FOLLOW_UPS.items():
            if index < len(texts):
                texts[index] = text
    results: dict[str, list[list[dict]]] = {mode: [] for mode in MODES}
    recorder = Recorder()
    with private_db() as data:
        if args.demos:
            write_demo_state(data / "programs" / "entity_extractor.json", args.demos)
        run_backlog("reuse", -1, texts[: max(FOLLOW_UPS) + 1], Recorder())  # saves the cache
        for rep, mode in alternating(MODES, args.reps):
            os.environ["CHARLIE_LLM_PROMPT_CACHE"] = str(mode == "reuse").lower()
            entries = run_backlog(mode, rep, texts, recorder)
            results[mode].append(entries)
            print(
                f"rep {rep} {mode:5}: {sum(e['wall'] for e in entries):6.1f} s, "
                f"{sum(len(e['calls']) for e in entries)} LM calls",
                flush=True,
            )

    def matcher_calls(entry: dict) -> int:
        return sum(c["kind"] == "match" for c in entry["calls"])

    groups = {
        "1": lambda entry, previous: entry["index"] == 0,
        "2..N": lambda entry, previous: entry["index"] > 0,
        "with matcher": lambda entry, previous: entry["index"] > 0 and matcher_calls(entry) >= 1,
        "with >=2 matcher": lambda entry, previous: (
            entry["index"] > 0 and matcher_calls(entry) >= 2
        ),
        "after matcher": lambda entry, previous: (
            previous is not None and matcher_calls(previous) >= 1
        ),
        "after >=2 matcher": lambda entry, previous: (
            previous is not None and matcher_calls(previous) >= 2
        ),
    }
    """Entry 1, later entries, and later entries that asked the matcher or follow one that did."""

    def entries_of(mode: str, group: str) -> list[dict]:
        picked = []
        for run in results[mode]:
            for previous, entry in zip([None, *run], run, strict=False):
                if groups[group](entry, previous):
                    picked.append(entry)
        return picked

    def extract_calls(entries: list[dict]) -> list[dict]:
        return [c for e in entries for c in e["calls"][:1] if c["kind"] == "extract"]

    def evaluated(entry: dict) -> int:
        """Prompt tokens llama.cpp evaluated for the entry: all its calls, matcher included."""
        return sum(c["evaluated"] for c in entry["calls"])

    def prompt_only(entry: dict) -> int:
        """Its prompt tokens not reused, as the engine reports them (prompt - cached): what
        ``evaluated`` counts less the answer's fixed text decoded in batches."""
        return sum(c["prompt"] - c["reported_cached"] for c in entry["calls"])

    def reused(calls: list[dict]) -> float:
        prompt = sum(c["prompt"] for c in calls)
        return ratio(prompt - sum(c["evaluated"] for c in calls), prompt)

    whole = median([evaluated(e) for e in entries_of("reset", "1")])  # nothing reused
    rows = []
    for mode in MODES:
        for group in groups:
            entries = entries_of(mode, group)
            calls = extract_calls(entries)
            rows.append(
                [
                    mode,
                    group,
                    len(entries),
                    median([c["prompt"] for c in calls]),
                    median([c["evaluated"] for c in calls]),
                    reused(calls),
                    median([evaluated(e) for e in entries]),
                    ratio(max((evaluated(e) for e in entries), default=math.nan), whole),
                    median([c["prompt_ms"] for c in calls]),
                    median([e["wall"] for e in entries]),
                ]
            )
    print()
    print(
        table(
            [
                "mode",
                "entries",
                "count",
                "extract prompt tok",
                "extract evaluated tok",
                "reused",
                "entry evaluated tok",
                "max entry / whole prompt",
                "extract prompt eval ms",
                "entry wall s",
            ],
            rows,
        )
    )

    all_calls = [c for mode in MODES for run in results[mode] for e in run for c in e["calls"]]
    agree = sum(
        c.get("history_cached") == c["reported_cached"]
        and -1 <= c["evaluated"] - (c["prompt"] - c["reported_cached"]) <= c["answer"] + 1
        for c in all_calls
    )
    runs = sum(len(results[mode]) for mode in MODES)
    matches = sum(c["kind"] == "match" for c in all_calls) / runs
    outputs = {
        tuple(c["output"] for e in run for c in e["calls"]) for m in MODES for run in results[m]
    }
    print(
        f"engine report (lm.history cached_tokens): prompt - cached <= llama.cpp n_p_eval <= that"
        f" + the answer's tokens (+-1): "
        f"{agree}/{len(all_calls)} calls; entity-matcher calls per backlog: {matches:.0f}; "
        f"same model outputs in every run: {'yes' if len(outputs) == 1 else 'NO'}"
    )
    later = entries_of("reuse", "2..N")
    first_cached = median([evaluated(e) for e in entries_of("reuse", "1")])
    worst = max((evaluated(e) for e in later), default=math.nan)
    reuse_wall = median([e["wall"] for e in later])
    reset_wall = median([e["wall"] for e in entries_of("reset", "2..N")])
    reuse_total = median([sum(e["wall"] for e in run) for run in results["reuse"]])
    reset_total = median([sum(e["wall"] for e in run) for run in results["reset"]])
    after = extract_calls(entries_of("reuse", "after >=2 matcher"))
    with_matcher = entries_of("reuse", "with matcher")
    asking = [evaluated(e) for e in with_matcher]
    asking_prompt = [prompt_only(e) for e in with_matcher]
    worst_prompt = max(asking_prompt, default=math.nan)
    whole_prompt = median([prompt_only(e) for e in entries_of("reset", "1")])
    print(machine())
    print(
        f"SUMMARY prefix_reuse: n={args.n} reps={args.reps} demos={args.demos}: prompt tokens "
        f"evaluated per entry, entries 2..N median {median([evaluated(e) for e in later]):.0f}, "
        f"max {worst:.0f} (matcher calls included) vs {whole:.0f} for entry 1 with nothing "
        f"cached (entry 1 after a load, from the prompt cache: {first_cached:.0f}): max "
        f"{ratio(worst, whole):.0%}; entries with matcher calls median {median(asking):.0f} "
        f"({ratio(median(asking), whole):.0%}), max {max(asking, default=math.nan):.0f}; "
        f"prompt tokens alone (the engine's prompt - cached, without the answer's fixed text): "
        f"entries 2..N median {median([prompt_only(e) for e in later]):.0f}, with matcher calls "
        f"median {median(asking_prompt):.0f}, max {worst_prompt:.0f} "
        f"vs {whole_prompt:.0f} ({ratio(worst_prompt, whole_prompt):.0%}); "
        f"extraction reuses {reused(extract_calls(later)):.0%} of its "
        f"prompt ({reused(after):.0%} right after an entry with >=2 matcher calls); median entry "
        f"{reuse_wall:.2f} vs {reset_wall:.2f} s with reset; backlog reset/reuse = "
        f"{ratio(reset_total, reuse_total):.2f}x"
    )


if __name__ == "__main__":
    main()

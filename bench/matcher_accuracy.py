"""Entity-matcher accuracy on a labelled check set, and the prompt tokens each design evaluates.

Why: issue 18 asks that a warm entry evaluate at most 15 % of the first entry's prompt tokens,
entries that ask the entity matcher included; the matcher's own call re-reads the entry under
its own system prompt, which alone is more than that. This scores, on the same cases in one
run, the shipped matcher and the two designs that could meet the figure, with the tokens
llama.cpp evaluates for the whole entry (its extractor call plus the question), warm:

- ``matcher``: the shipped ``EntityMatcher``: the candidate the entry names in full when it
  names one, else a separate call with its own system prompt (in a warm backlog that prompt is
  cached: the entry's window, the sentences that mention the name, its name and candidates are
  evaluated); ``matcher, model only``:
  the same without the rule, every case asked;
- ``matcher, JSON request`` (and ``, model only``): the matcher as it was before its request
  was made compact: DSPy's JSON-adapter layout (``[[ ## name ## ]]`` headers, DSPy's framing in
  the system prompt, a last line repeating the candidates as the answer's ``Literal``), no
  demos; the answer the same choice of the candidates and "none";
- ``fold`` (design a): no separate call; the extractor's one call offers, for the ambiguous
  name, the known entities next to the types (the answer's ``Literal``, a grammar), and is told
  which known names a candidate may mean (one demo shows it); ``fold, own key``: the same, the
  choice between the known entities and "none" in a key of its own ("Amara is");
- ``continue`` (design b): one question after the extractor's answer, in the extractor's own
  conversation (same system prompt; the entry is already in llama.cpp's KV cache), the answer
  a grammar of the candidates and "none";
- ``matcher, 600 characters`` (and ``, model only``): the shipped matcher with its window
  before h-mone, up to 600 characters around the name instead of the sentences holding it;
  ``matcher, sentences ±1``: those sentences and the one before and after each;
- ``one call`` (h-mone): one question for all of an entry's ambiguous names (names first, then
  the entry, then each name's candidates; the answer one choice key per name, decoded at its
  choices), so an entry naming two ambiguous people is read once; the check set's entries name
  one each, so ``--pairs`` also asks about two cases' entries run together, both names in one
  call, against the shipped matcher asked once per name on the same text; its demos are the
  matcher's two, one name each, or (``one call, joint demo``) one demo of both names;
- rules without a model, for scale: always the first candidate; never a match.

Cases: ``charlie_optimize/data/matcher_cases.jsonl``, written for this check (no split of the
extraction data): a short form of a known name ("Amara" / "Amara Okafor"), a shared first name
where the entry names the person in full, typos, near names of someone else ("Lena" /
"Elena"), a place and a person sharing a name, a place and a street. Each case is one that
resolution would ask about (word subset or near spelling, not a typo-level match).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator
from functools import partial
from typing import Any, Literal

from _common import machine, median, ratio, table
from kit.matcher_cases import matcher_cases

NO_MATCH = "none"
MATCHERS = ["matcher", "matcher, JSON request"]
WINDOWS = {"matcher, 600 characters": None, "matcher, sentences ±1": 1}
"""The matcher's other windows: up to 600 characters around the name (as shipped before
h-mone), or the sentences holding the name and one either side of each."""
ONE_CALL = ["one call", "one call, joint demo"]
DESIGNS = [*WINDOWS, *ONE_CALL]
"""Issue 18's designs of h-mone, each run in a loop of its own with the extractor: its tokens
are then those of a warm entry, not of the same question asked again."""
MODEL_MODES = [
    *(f"{m}{only}" for m in MATCHERS for only in ("", ", model only")),
    *["fold", "fold, own key", "continue"],
    *(f"{m}{only}" for m in DESIGNS for only in ("", ", model only")),
]
RULES = {
    "first candidate": lambda case: case["candidates"][0],
    "never": lambda case: None,
}
"""Answers without a model, for scale: what a fixed guess gets on the same cases."""


def named(case: dict[str, Any]) -> list[str]:
    """The candidates the entry names in full ("Sam Ortiz came… Sam and I"): names the
    journal knows that occur in the entry, which the worker tells the extractor about."""
    from charlie_inference.programs.entity_matcher import named_candidates

    return named_candidates(case["entry"], case["candidates"])


@contextlib.contextmanager
def model_only() -> Iterator[None]:
    """The shipped matcher without its rules: every case goes to the model."""
    from charlie_inference.programs import entity_matcher

    rule = entity_matcher.rule_match
    entity_matcher.rule_match = lambda _name, _entry, _candidates: None
    try:
        yield
    finally:
        entity_matcher.rule_match = rule


def json_request_adapter() -> type:
    """The matcher's adapter before its request was made compact: DSPy's JSON adapter, its
    system prompt describing ``stable``'s generic signature (the same across calls)."""
    import dspy

    class StableJSONAdapter(dspy.JSONAdapter):
        def __init__(self, stable: type[dspy.Signature]) -> None:
            super().__init__()
            self.stable = stable

        def format_field_description(self, signature: type[dspy.Signature]) -> str:
            return super().format_field_description(self.stable)

        def format_field_structure(self, signature: type[dspy.Signature]) -> str:
            return super().format_field_structure(self.stable)

    return StableJSONAdapter


@contextlib.contextmanager
def json_request(matcher: Any) -> Iterator[None]:
    """``matcher``'s request in DSPy's JSON layout, without demos, as it was."""
    from charlie_inference.programs import entity_matcher

    shipped, demos = entity_matcher.StablePromptAdapter, matcher.match.demos
    entity_matcher.StablePromptAdapter, matcher.match.demos = json_request_adapter(), []
    try:
        yield
    finally:
        entity_matcher.StablePromptAdapter, matcher.match.demos = shipped, demos


def neighbours_window(entry: str, name: str, around: int) -> str:
    """The sentences of ``entry`` that hold ``name`` (any case) and ``around`` sentences
    either side of each, in order; as shipped, the text around the name when they are longer
    than the window (or none holds it)."""
    from charlie_inference.programs.entity_matcher import (
        WINDOW_CHARS,
        around_mention,
        mentions,
    )
    from charlie_inference.programs.sentences import sentences_of

    sentences = sentences_of(entry)
    holding = [i for i, s in enumerate(sentences) if mentions(s, name)]
    kept = sorted({j for i in holding for j in range(i - around, i + around + 1)})
    window = " ".join(sentences[j] for j in kept if 0 <= j < len(sentences))
    return window if 0 < len(window) <= WINDOW_CHARS else around_mention(entry, name)


@contextlib.contextmanager
def window(around: int | None) -> Iterator[None]:
    """The shipped matcher asked with another window: ``around`` sentences either side of
    the name's, or (None) up to 600 characters around its first mention."""
    from charlie_inference.programs import entity_matcher

    shipped = entity_matcher.mention_window
    entity_matcher.mention_window = (
        entity_matcher.around_mention
        if around is None
        else lambda entry, name: neighbours_window(entry, name, around)
    )
    try:
        yield
    finally:
        entity_matcher.mention_window = shipped


def ask_in_window(
    case: dict[str, Any], matcher: Any, around: int | None, rule: bool = True
) -> str | None:
    """Design (a): the shipped matcher's answer with another window."""
    with window(around), contextlib.nullcontext() if rule else model_only():
        return matcher(**question(case)).match


def asked_names(case: dict[str, Any]) -> list[str]:
    """The names the extractor's call asks about: what it asks the model to type in this
    entry, and the ambiguous names (in every mode, typed by a rule or not: the designs need
    their answers from the same call)."""
    from charlie_inference.programs.entity_extractor import asked_candidates

    ambiguous = case.get("names") or [case["name"]]
    types = case.get("types") or [case["type"]]
    known = {
        full: kind
        for n, kind in zip(ambiguous, types, strict=True)
        for full in named({"entry": case["entry"], "candidates": candidates_of(case, n)})
    }
    names = [c.name for c in asked_candidates(case["entry"], known)]
    return [*names, *(n for n in ambiguous if n not in names)]


def candidates_of(case: dict[str, Any], name: str) -> list[str]:
    """``name``'s candidates in ``case`` (a check-set case, or a pair of them)."""
    return case["candidates"][name] if "names" in case else case["candidates"]


def pairs(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each case's entry followed by the next case's (by position, the last by the first), both
    names ambiguous in one text; not two cases of one name ("Florence", "Chelsea")."""
    paired = []
    for a, b in zip(cases, [*cases[1:], *cases[:1]], strict=True):
        if a["name"].lower() == b["name"].lower():
            continue
        paired.append(
            {
                "id": f"{a['id']}+{b['id']}",
                "entry": f"{a['entry']} {b['entry']}",
                "names": [a["name"], b["name"]],
                "types": [a["type"], b["type"]],
                "candidates": {a["name"]: a["candidates"], b["name"]: b["candidates"]},
                "match": {a["name"]: a["match"], b["name"]: b["match"]},
            }
        )
    return paired


def one_call_program(joint_demo: bool = False) -> Any:
    """Design (b): a question for all of an entry's ambiguous names; its demos the shipped
    matcher's two, one name each, or (``joint_demo``) both names in one demo."""
    import dspy

    from charlie_inference.programs.entity_matcher import HAND_DEMOS

    class MatchEntities(dspy.Signature):
        """Decide whether each name, as used in the journal entry, refers to a known entity.

        Answer each name with one of its candidates exactly as listed, or "none" when it is
        someone or something else.
        """

        names: list[str] = dspy.InputField(desc="names found in the entry")
        entry: str = dspy.InputField(desc="the journal entry the names come from")
        candidates: dict[str, list[str]] = dspy.InputField(
            desc="each name's known entities with similar names"
        )
        matches: dict[str, str] = dspy.OutputField(
            desc='each name with one of its candidates, or "none"'
        )

    shipped = [(d.name, d.entry, d.candidates, d.match) for d in HAND_DEMOS]
    groups = [shipped] if joint_demo else [[demo] for demo in shipped]
    predict = dspy.Predict(MatchEntities)
    predict.demos = [
        dspy.Example(
            names=[name for name, *_ in group],
            entry=group[0][1],
            candidates={name: candidates for name, _, candidates, _ in group},
            matches={name: match for name, *_, match in group},
        ).with_inputs("names", "entry", "candidates")
        for group in groups
    ]
    return predict


def ask_one_call(case: dict[str, Any], predict: Any, rule: bool = True) -> dict[str, str | None]:
    """Design (b): each ambiguous name's answer; the candidate the entry names in full by the
    shipped rule (unless not ``rule``), the others from one call (none when no name is left)."""
    import dspy

    from charlie_inference.programs.entity_extractor import _answers
    from charlie_inference.programs.entity_matcher import NO_MATCH, rule_match
    from charlie_inference.programs.prompt import StablePromptAdapter

    names = case.get("names") or [case["name"]]
    chosen = {
        n: rule_match(n, case["entry"], candidates_of(case, n)) if rule else None for n in names
    }
    asked = {n: candidates_of(case, n) for n in names if chosen[n] is None}
    if asked:
        answer = answer_type({n: (*c, NO_MATCH) for n, c in asked.items()})
        signature = predict.signature.with_updated_fields("matches", type_=answer)
        with dspy.context(adapter=StablePromptAdapter(predict.signature)):
            got = _answers(
                predict(
                    names=list(asked), entry=case["entry"], candidates=asked, signature=signature
                ).matches
            )
        chosen |= {n: got.get(n) if got.get(n) in c else None for n, c in asked.items()}
    return chosen


class Calls:
    """Prompt tokens llama.cpp evaluated since the last ``take()``: prompt minus reused prefix,
    as the engine reports it (``prefix_reuse.py`` checks that against ``n_p_eval``)."""

    def __init__(self, lm: Any) -> None:
        self.lm = lm
        self.seen = 0

    def take(self) -> tuple[int, int]:
        """(tokens evaluated, whole prompt of the last call) of the calls since last time."""
        calls = self.lm.history[self.seen :]
        self.seen = len(self.lm.history)
        evaluated = sum(
            c["usage"]["prompt_tokens"]
            - ((c["usage"].get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
            for c in calls
        )
        return evaluated, (calls[-1]["usage"]["prompt_tokens"] if calls else 0)


def fold_program(separate_key: bool = False) -> tuple[Any, Any]:
    """Design (a): the extractor's signature with the known names a candidate may mean: as
    choices next to the types, or (``separate_key``) in a key of its own, "<name> is"."""
    import dspy

    from charlie_inference.programs.entity_extractor import HAND_DEMOS, TypeCandidates
    from charlie_inference.programs.prompt import StablePromptAdapter

    class TypeOrMatch(dspy.Signature):
        text: str = dspy.InputField(desc="a journal entry")
        candidates: list[str] = dspy.InputField(desc="capitalised words from the entry")
        known: dict[str, list[str]] = dspy.InputField(desc="journal names a candidate may mean")
        types: dict[str, str] = dspy.OutputField(desc="each candidate with its type or known name")

    TypeOrMatch.__doc__ = f"{TypeCandidates.__doc__.rstrip()}\n    " + (
        'For a candidate listed in known, also answer "<candidate> is": the journal name it '
        'means, or "none".\n'
        if separate_key
        else "A candidate listed in known may mean one of the journal's names: answer that "
        "name if the entry means it, else its type.\n"
    )
    TypeOrMatch = TypeOrMatch.with_instructions(TypeOrMatch.__doc__)

    class FoldAdapter(StablePromptAdapter):
        """Demos without known names show none; an empty ``known`` is not written."""

        def format_demos(self, signature: Any, demos: list[Any]) -> list[dict[str, Any]]:
            full = [{**dict(d.items()), "known": d.get("known") or {}} for d in demos]
            return super().format_demos(signature, full)

        def format_user_message_content(self, signature: Any, inputs: dict, *args, **kw) -> str:
            inputs = {k: v for k, v in inputs.items() if not (k == "known" and not v)}
            return super().format_user_message_content(signature, inputs, *args, **kw)

    known_demo = dspy.Example(
        text="Coffee with Ravi, then Nina drove us to Hove.",
        candidates=["Ravi", "Nina", "Hove"],
        known={"Ravi": ["Ravi Patel"], "Nina": ["Nino"]},
        types=(
            {"Ravi": "Person", "Nina": "Person", "Hove": "Place", "Ravi is": "Ravi Patel"}
            | {"Nina is": NO_MATCH}
        )
        if separate_key
        else {"Ravi": "Ravi Patel", "Nina": "Person", "Hove": "Place"},
    ).with_inputs("text", "candidates", "known")
    predict = dspy.Predict(TypeOrMatch)
    predict.demos = [*(d.copy() for d in HAND_DEMOS), known_demo]
    return predict, FoldAdapter(TypeOrMatch)


def answer_type(choices: dict[str, tuple[str, ...]]) -> type:
    """The answer: one required key per name, each one of its choices (a grammar for
    llama.cpp, as the extractor's ``answer_model``)."""
    import pydantic

    fields: dict[str, Any] = {name: (Literal[choices[name]], ...) for name in choices}
    return pydantic.create_model("Answer", __config__=pydantic.ConfigDict(extra="forbid"), **fields)


def ask_fold(
    case: dict[str, Any], program: tuple[Any, Any], separate_key: bool = False
) -> str | None:
    """Design (a): the entry's one extractor call, the ambiguous name's answer among its
    choices; the known entity it chose, or None for a type or "none"."""
    import dspy

    from charlie_inference.programs.entity_extractor import CHOICES, _answers

    predict, adapter = program
    names = asked_names(case)
    if separate_key:
        choices = {n: CHOICES for n in names}
        choices[f"{case['name']} is"] = (*case["candidates"], NO_MATCH)
    else:
        choices = {n: (*CHOICES, *(case["candidates"] if n == case["name"] else ())) for n in names}
    signature = predict.signature.with_updated_fields("types", type_=answer_type(choices))
    with dspy.context(adapter=adapter):
        answer = predict(
            text=case["entry"],
            candidates=names,
            known={case["name"]: case["candidates"]},
            signature=signature,
        )
    chosen = _answers(answer.types).get(f"{case['name']} is" if separate_key else case["name"])
    return chosen if chosen in case["candidates"] else None


def extract(case: dict[str, Any], extractor: Any) -> None:
    """The entry's extractor call, as the worker makes it, with the ambiguous name asked."""
    extractor._classify(case["entry"], asked_names(case))


def ask_continue(case: dict[str, Any], lm: Any) -> str | None:
    """Design (b): one question after the extractor's answer, in its conversation: the
    extractor's system prompt, demos and entry again (a prefix llama.cpp has cached), its
    answer, then the question."""
    from dspy.lm15 import Config, Message, Request, TextPart

    last = lm.history[-1]
    system, *turns = last["messages"]
    question = (
        f"known: {json.dumps({case['name']: case['candidates']}, ensure_ascii=False)}\n"
        f'Which known name does each mean, or "{NO_MATCH}"? Respond with a JSON object.'
    )
    turns = [*turns, {"role": "assistant", "content": last["outputs"][0]}]
    answer = answer_type({case["name"]: (*case["candidates"], NO_MATCH)})
    request = Request(
        model=lm.model,
        system=system["content"],
        messages=(
            *(
                Message.user(t["content"])
                if t["role"] == "user"
                else Message.assistant([TextPart(t["content"])])
                for t in turns
            ),
            Message.user(question),
        ),
        config=Config(
            temperature=lm.kwargs["temperature"],
            max_tokens=lm.kwargs["max_tokens"],
            response_format={"type": "json_schema", "schema": answer.model_json_schema()},
        ),
    )
    chosen = json.loads(lm(request).message.text).get(case["name"])
    return chosen if chosen in case["candidates"] else None


def question(case: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """The matcher's arguments for ``case`` (about ``name``, of a pair), as resolution asks."""
    name = name or case["name"]
    return {"name": name, "entry": case["entry"], "candidates": candidates_of(case, name)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N cases only (0: all)")
    parser.add_argument("--show", action="store_true", help="print each case's answers")
    parser.add_argument(
        "--pairs",
        action="store_true",
        help="also two cases' entries as one, both names asked: the matcher vs one call",
    )
    args = parser.parse_args()

    import dspy

    from charlie_inference import DspyLM, EntityExtractor, EntityMatcher, ModelSettings

    cases = matcher_cases()[: args.limit or None]
    lm = DspyLM(ModelSettings())
    calls = Calls(lm)
    extractor, matcher = EntityExtractor(), EntityMatcher()
    fold, fold_key = fold_program(), fold_program(separate_key=True)
    one_calls = [one_call_program(joint_demo=joint) for joint in (False, True)]
    pair_answers: dict[str, list[dict[str, str | None]]] = defaultdict(list)
    pair_tokens: dict[str, list[int]] = defaultdict(list)
    paired = pairs(cases) if args.pairs else []
    answers: dict[str, list[str | None]] = defaultdict(list)
    tokens: dict[str, list[int]] = defaultdict(list)
    call_tokens: dict[str, list[int]] = defaultdict(list)
    call_prompts: dict[str, list[int]] = defaultdict(list)
    whole_prompt = 0
    with dspy.context(lm=lm):
        # The engine keeps two programs' prompts besides the live one (``MAX_PARKED``): the
        # extractor and matcher run together, as the worker runs them; each fold on its own.
        for case in cases:
            extract(case, extractor)
            extract_tokens, prompt = calls.take()
            whole_prompt = whole_prompt or prompt
            answers["continue"].append(ask_continue(case, lm))
            tokens["continue"].append(extract_tokens + calls.take()[0])
            requests = [contextlib.nullcontext(), json_request(matcher)]
            for mode, request in zip(MATCHERS, requests, strict=True):
                with request:
                    matched = matcher(**question(case))
                    answers[mode].append(matched.match)
                    evaluated, prompt = calls.take()
                    tokens[mode].append(extract_tokens + evaluated)
                    if prompt:  # the model was asked: its call alone
                        call_tokens[mode].append(evaluated)
                    with model_only():
                        answers[f"{mode}, model only"].append(matcher(**question(case)).match)
                    # The same question again: its tokens are not a warm entry's; its prompt
                    # is the whole request, asked or not.
                    call_prompts[mode].append(calls.take()[1])
            tokens["extractor alone"].append(extract_tokens)
        for mode, program in [("fold", fold), ("fold, own key", fold_key)]:
            for case in cases:
                answers[mode].append(ask_fold(case, program, separate_key=program is fold_key))
                tokens[mode].append(calls.take()[0])
        # Each design on its own, with the extractor, as the worker would run it.
        designs = {
            **{m: partial(ask_in_window, matcher=matcher, around=a) for m, a in WINDOWS.items()},
            **{
                m: lambda case, rule=True, p=p: ask_one_call(case, p, rule)[case["name"]]
                for m, p in zip(ONE_CALL, one_calls, strict=True)
            },
        }
        for mode, ask in designs.items():
            for case in cases:
                extract(case, extractor)
                extract_tokens = calls.take()[0]
                answers[mode].append(ask(case))
                evaluated, prompt = calls.take()
                tokens[mode].append(extract_tokens + evaluated)
                if prompt:
                    call_tokens[mode].append(evaluated)
                answers[f"{mode}, model only"].append(ask(case, rule=False))
                call_prompts[mode].append(calls.take()[1])

        # The pairs: each name asked on its own (in each window), or both names in one call.
        def ask_each(case: dict[str, Any], window: Any) -> dict[str, str | None]:
            with window():
                return {n: matcher(**question(case, n)).match for n in case["names"]}

        pair_designs = {
            "matcher": partial(ask_each, window=contextlib.nullcontext),
            **{m: partial(ask_each, window=partial(window, a)) for m, a in WINDOWS.items()},
            **{
                m: partial(ask_one_call, predict=p)
                for m, p in zip(ONE_CALL, one_calls, strict=True)
            },
        }
        for mode, ask in pair_designs.items():
            for case in paired:
                extract(case, extractor)
                extract_tokens = calls.take()[0]
                pair_answers[mode].append(ask(case))
                pair_tokens[mode].append(extract_tokens + calls.take()[0])
    if args.show:
        for index, case in enumerate(cases):
            got = "  ".join(f"{m}={answers[m][index]!r}" for m in MODEL_MODES)
            print(f"{case['id']} {case['kind'][:24]:24} want {case['match']!r}: {got}")
        print()
        for mode in MODEL_MODES:
            shipped = "matcher, model only" if mode.endswith("model only") else "matcher"
            changed = [
                f"{case['id']} {answers[shipped][i]!r} -> {answers[mode][i]!r} "
                f"({'now right' if answers[mode][i] == case['match'] else 'now wrong'})"
                for i, case in enumerate(cases)
                if answers[mode][i] != answers[shipped][i]
            ]
            if mode != shipped:
                print(f"changed vs {shipped}, {mode}: {'; '.join(changed) or 'none'}")
    lm.close()
    for rule, answer in RULES.items():
        answers[rule] = [answer(case) for case in cases]

    kinds = list(dict.fromkeys(case["kind"] for case in cases))
    rows = []
    for mode, got in answers.items():
        right = [g == case["match"] for g, case in zip(got, cases, strict=True)]
        per_kind = [
            f"{sum(r for r, c in zip(right, cases, strict=True) if c['kind'] == kind)}/"
            f"{sum(c['kind'] == kind for c in cases)}"
            for kind in kinds
        ]
        warm = tokens[mode][1:] if mode in tokens else []
        rows.append(
            [
                mode,
                f"{sum(right)}/{len(cases)}",
                *per_kind,
                tokens[mode][0] if warm else "-",
                median(warm) if warm else "-",
                max(warm) if warm else "-",
                ratio(max(warm), whole_prompt) if warm else "-",
            ]
        )
    print()
    headers = ["answers", "right", *kinds, "first case tok", "warm tok med", "warm tok max"]
    print(table([*headers, "max / whole prompt"], rows))
    alone = tokens["extractor alone"][1:]
    print(
        f"the extractor's whole prompt (the first case, 2 hand demos): {whole_prompt} tokens; "
        f"its call alone evaluates median {median(alone):.0f}, max {max(alone)} a case, warm"
    )
    for mode in [*MATCHERS, *DESIGNS]:
        warm = call_tokens[mode][1:]
        print(
            f"{mode}: a call's whole prompt median {median(call_prompts[mode]):.0f} tokens, "
            f"max {max(call_prompts[mode])}; a call evaluates median {median(warm):.0f}, "
            f"max {max(warm)} warm ({len(warm)} calls)"
        )
    for mode, got in pair_answers.items():
        wanted = [
            (case["match"][n], answer[n])
            for case, answer in zip(paired, got, strict=True)
            for n in case["names"]
        ]
        warm = pair_tokens[mode][1:]
        print(
            f"pairs ({len(paired)} texts of two cases, {len(wanted)} names), {mode}: "
            f"{sum(w == a for w, a in wanted)}/{len(wanted)} right; tokens a warm entry "
            f"evaluates (extractor + matcher) median {median(warm):.0f}, max {max(warm)}"
        )
    if args.show:
        for index, case in enumerate(paired):
            got = "  ".join(f"{m}={pair_answers[m][index]}" for m in pair_answers)
            print(f"{case['id']} want {case['match']}: {got}")
    print(machine())
    right = {
        m: sum(g == c["match"] for g, c in zip(answers[m], cases, strict=True)) for m in answers
    }
    print(
        "SUMMARY matcher_accuracy: "
        + ", ".join(
            f"{m} {right[m]}/{len(cases)}"
            + (f" ({median(tokens[m][1:]):.0f} tok/entry warm)" if m in tokens else "")
            for m in answers
        )
    )


if __name__ == "__main__":
    main()

"""The entity matcher: does a newly extracted name refer to an entity the graph already knows?

Used only for the ambiguous leftovers of cheap resolution (exact and fuzzy name matching).
The answer's type is a ``Literal`` of the candidates plus ``"none"``, so llama.cpp's grammar
can only produce a valid choice; the caller still checks it.

The model sees the sentences of the entry that mention the name, not the whole entry: what
decides "which Sarah" is the sentence she is in, a long entry would overflow a small context
(the extractor reads long entries in chunks; the matcher has no such fallback), and every
token of the window is evaluated again for each question (in a warm backlog the matcher's
instructions and demos are cached; its request is not). Up to 600 characters around the name
answered the check set the same (``bench/matcher_accuracy.py``, 22/27 both) and cost a
paragraph's tokens per question.

The request is the extractor's compact one (``StablePromptAdapter``: ``name: …`` lines, each
candidate named once), after two hand demos, one match and one "none". In DSPy's JSON layout a
warm call evaluated ~80 tokens instead of ~45 and the 135M model mostly answered its first
candidate; the compact request alone made it answer "none" almost always; with the demos it
tells the two apart more often than either (``bench/matcher_accuracy.py``). The demos cost a
warm call nothing: they sit before the request, with the system prompt, in the cached prefix.
"""

from __future__ import annotations

import re
from typing import Literal

import dspy

from .candidates import Candidate
from .cues import cue_type
from .prompt import StablePromptAdapter
from .sentences import sentences_of

NO_MATCH = "none"
WINDOW_CHARS = 600
"""At most this much of the entry goes into the prompt."""


def mention_window(entry: str, name: str, size: int = WINDOW_CHARS) -> str:
    """The sentences of ``entry`` that mention ``name`` (as whole words, any case), in order;
    when they run past ``size`` characters, or none holds the name as written,
    ``around_mention``."""
    window = " ".join(s for s in sentences_of(entry) if mentions(s, name))
    return window if 0 < len(window) <= size else around_mention(entry, name, size)


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as whole words, any case ("Sam", not "same")."""
    return _as_words(name).search(text) is not None


def _as_words(name: str) -> re.Pattern[str]:
    """``name`` as whole words, any case."""
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", flags=re.IGNORECASE)


def around_mention(entry: str, name: str, size: int = WINDOW_CHARS) -> str:
    """About ``size`` characters of ``entry`` centred on the first mention of ``name``.

    Cut at word boundaries, marked with "…" where text was left out; the whole entry when it
    fits. A name not found as written (the extractor grounds names in the text, so only case
    or spacing differ) centres the window on the entry's start.
    """
    entry = entry.strip()
    if len(entry) <= size:
        return entry
    found = re.search(re.escape(name), entry, flags=re.IGNORECASE)
    middle = (found.start() + found.end()) // 2 if found else 0
    start = max(0, min(middle - size // 2, len(entry) - size))
    end = start + size
    if start > 0:
        space = entry.find(" ", start)
        start = space + 1 if 0 <= space < middle else start
    if end < len(entry):
        space = entry.rfind(" ", middle, end)
        end = space if space > 0 else end
    before = "… " if start > 0 else ""
    after = " …" if end < len(entry) else ""
    return f"{before}{entry[start:end].strip()}{after}"


class MatchEntity(dspy.Signature):
    """Decide whether the name, as used in the journal entry, refers to one of the known entities.

    Answer with the known entity exactly as listed, or "none" when it is someone or something else.
    """

    name: str = dspy.InputField(desc="a name found in the entry")
    entry: str = dspy.InputField(desc="the journal entry the name comes from")
    candidates: list[str] = dspy.InputField(desc="known entities with similar names")
    match: str = dspy.OutputField(desc='one of the candidates, or "none"')


HAND_DEMOS = [
    dspy.Example(
        name=name,
        entry="Coffee with Ravi, then Nina drove us to Hove.",
        candidates=candidates,
        match=match,
    ).with_inputs("name", "entry", "candidates")
    for name, candidates, match in [
        ("Ravi", ["Ravi Patel"], "Ravi Patel"),
        ("Nina", ["Nino"], NO_MATCH),
    ]
]
"""Two hand-written demos, journal-like and not from the check set: a short form of a known
name, and a near name of someone else."""


def named_candidates(entry: str, candidates: list[str]) -> list[str]:
    """The candidates ``entry`` names in full (as whole words, any case)."""
    return [candidate for candidate in dict.fromkeys(candidates) if mentions(entry, candidate)]


def named_in_full(entry: str, candidates: list[str]) -> str | None:
    """The one candidate ``entry`` names in full, if only one."""
    named = named_candidates(entry, candidates)
    return named[0] if len(named) == 1 else None


def first_or_last_name_of_one(name: str, entry: str, candidates: list[str]) -> str | None:
    """The one candidate whose first name or surname ``name`` is, when the entry says ``name``
    is a person ("Amara called later", "lunch with Whitfield": ``cues.cue_type``) and no other
    candidate has that word in its name.

    The journal's commonest case, a friend met once in full and by first name ever after, is
    the one the model is worst at when the sentence says little ("Amara called later." was
    answered "none", a second Amara filed); a colleague called by surname is the same case
    ("Whitfield called about dinner." filed a second Whitfield beside Dana Whitfield). The cue
    keeps a place of the same name out ("flew to Jordan", with Jordan Ellis known); a name
    shared by two known people is left to the model, as is a name with no cue or one inside
    a longer name ("Lee" of "Anna Lee Park")."""
    word = name.strip().casefold()
    if not word or " " in word:
        return None
    holders = [c for c in dict.fromkeys(candidates) if word in c.casefold().split()]
    if len(holders) != 1 or word not in _first_and_last(holders[0]):
        return None
    for found in _as_words(name.strip()).finditer(entry):
        mention = Candidate(found.group(), found.start(), found.end(), "span")
        if cue_type(entry, mention) == "Person":
            return holders[0]
    return None


def _first_and_last(name: str) -> tuple[str, str]:
    words = name.casefold().split()
    return words[0], words[-1]


def rule_match(name: str, entry: str, candidates: list[str]) -> str | None:
    """The candidate the entry decides without the model, if any: the one it names in full
    ("Sam Ortiz came over… Sam and I"), else the one whose first name or surname the entry
    uses for a person. None leaves the question to the model."""
    return named_in_full(entry, candidates) or first_or_last_name_of_one(name, entry, candidates)


class EntityMatcher(dspy.Module):
    """``matcher(name=..., entry=..., candidates=[...])`` → ``Prediction(match=str | None)``."""

    def __init__(self) -> None:
        super().__init__()
        self.match = dspy.Predict(MatchEntity)
        self.match.demos = [demo.copy() for demo in HAND_DEMOS]

    @staticmethod
    def needs_model(name: str, entry: str, candidates: list[str]) -> bool:
        """Whether answering asks the model (not when a rule decides, ``rule_match``): the
        worker loads it only then."""
        return bool(candidates) and rule_match(name, entry, candidates) is None

    def forward(self, name: str, entry: str, candidates: list[str]) -> dspy.Prediction:
        choices = tuple(dict.fromkeys(candidates))
        if not choices:
            return dspy.Prediction(match=None)
        if (decided := rule_match(name, entry, list(choices))) is not None:
            return dspy.Prediction(match=decided)
        # The stored predictor carries instructions and demos; each call narrows its answer type
        # (a grammar only), while the system prompt and the demos stay the same.
        signature = self.match.signature.with_updated_fields(
            "match", type_=Literal[(*choices, NO_MATCH)]
        )
        predictor = dspy.Predict(signature)
        predictor.demos = self.match.demos
        with dspy.context(adapter=StablePromptAdapter(MatchEntity)):
            answer = predictor(
                name=name, entry=mention_window(entry, name), candidates=list(choices)
            )
        match = answer.match if answer.match in choices else None
        return dspy.Prediction(match=match)

"""Entity resolution: does an extracted name mean an entity the journal already has?

Cheapest first: normalised exact name (or an alias: a name the entity had before the user
merged or renamed it, or before an entry named the person in full), then a fuzzy match that
only typos pass, then the model, for the ambiguous leftovers only (a shared first name, a near
miss), with its answer validated against the candidates it was given. Names told apart by a
word ("Halcyon Books", "Halcyon Bank") are different without asking, however alike they are
spelt as a whole.

The tiers look only at the name's candidates (``Candidates``: the journal's index answers
which entities a name may mean), never at every entity of the journal.
"""

from __future__ import annotations

import uuid as uuidlib
from collections import Counter
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from charlie_inference import Entity, normalize_name
from charlie_worker.store.entities import Known, Mention

FUZZY_SAME = 0.92
"""At or above: the same entity (typos, plurals). Below FUZZY_ASK: different."""
FUZZY_ASK = 0.75
MAX_CANDIDATES = 5


Ask = Callable[[str, list[str]], str | None]
"""``ask(name, candidate_names) -> chosen candidate name or None``: the model's judgement."""

Candidates = Callable[[str, str], Sequence[Known]]
"""``candidates(norm, type)``: the journal's entities a name (normalised) of that type may
mean, in the journal's order: every one whose name or alias is ``norm``, else those of the
type whose names are near it (``store.entities.candidates_for``). Any entity beyond those is
harmless: the tiers below choose."""


def _similar(a: str, b: str) -> float:
    """How alike two names are spelt (SequenceMatcher's ratio), or 0 when an upper bound of it
    (their letters in common, in any order) is already below FUZZY_ASK: a big journal gives a
    name many near names, and most of them are ruled out without the full comparison."""
    if 2 * _letters_in_common(a, b) < FUZZY_ASK * (len(a) + len(b)):
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def _letters_in_common(a: str, b: str) -> int:
    """The letters of ``a`` that pair with a letter of ``b``, each used once: the count behind
    ``SequenceMatcher.quick_ratio``, without building a matcher, nor two ``Counter``: counting
    in the strings took 3 µs against 5 for two names of nine letters, and a name is compared
    with up to 25 near names."""
    letters = set(a)
    return sum(map(min, map(a.count, letters), map(b.count, letters)))


def _score(norm: str, other: str) -> float:
    """How alike two names are for the tiers: their spelling's score, or 0 when a word tells
    them apart (checked only when the spelling would pass: most near names are ruled out
    before)."""
    similarity = _similar(norm, other)
    return similarity if similarity < FUZZY_ASK or _words_pair_up(norm, other) else 0.0


def _words_pair_up(a: str, b: str) -> bool:
    """Whether the words one name has and the other lacks are alike: each word of the name
    with fewer such words alike one of the other's, or all of them alike all of the other's
    run together ("lenelane" / "lene lane"). "sam ortez" / "sam ortiz", "sam otriz" / "sam
    ortiz" and "priya" / "priya sharma" pair up; "halcyon books" / "halcyon bank" and "ada
    li" / "ada lu" do not.

    Spelling alike as a whole is not enough: a long shared word ("bartholomew li" /
    "bartholomew lu", 0.93) makes two names score as one person's typo when the word that
    tells them apart is plainly another."""
    words_a, words_b = a.split(), b.split()
    only_a = [word for word in words_a if word not in words_b]
    only_b = [word for word in words_b if word not in words_a]
    fewer, more = (only_a, only_b) if len(only_a) <= len(only_b) else (only_b, only_a)
    return all(any(_alike(word, other) for other in more) for word in fewer) or _alike(
        "".join(fewer), "".join(more)
    )


def _alike(a: str, b: str) -> bool:
    """Spelt alike (a typo's score), or the same letters in another order (a transposition:
    "lsi" / "lis" scores only 0.67)."""
    return SequenceMatcher(None, a, b).ratio() >= FUZZY_ASK or Counter(a) == Counter(b)


def _ambiguous(norm: str, other: str, similarity: float) -> bool:
    """One name's words are part of the other's ("priya" / "priya sharma"), or close spelling."""
    words, other_words = set(norm.split()), set(other.split())
    return words < other_words or other_words < words or similarity >= FUZZY_ASK


def _match(entity: Entity, norm: str, known: Sequence[Known], ask: Ask | None) -> Known | None:
    """The entity of ``known`` that ``entity`` (normalised: ``norm``) means, if any."""
    by_norm = {alias: k for k in known for alias in k.alias_norms}
    by_norm.update({k.norm: k for k in known})  # an entity's own name wins over an alias
    match = by_norm.get(norm)
    if match is not None:
        return match
    same_type = [(k, _score(norm, k.norm)) for k in known if k.type == entity.type]
    best, similarity = max(same_type, key=lambda scored: scored[1], default=(None, 0.0))
    if best is not None and similarity >= FUZZY_SAME:
        return best
    if ask is None:
        return None
    candidates = [k for k, s in same_type if _ambiguous(norm, k.norm, s)][:MAX_CANDIDATES]
    if not candidates:
        return None
    chosen = ask(entity.name, [k.name for k in candidates])
    return next((k for k in candidates if k.name == chosen), None)


def resolve(
    entities: list[Entity], candidates: Candidates, ask: Ask | None = None
) -> list[Mention]:
    """Map each extracted entity to an existing uuid or a new one. A name met earlier in
    the same batch is known to the later ones: "Sam" twice is one new entity."""
    new: list[Known] = []
    resolved: list[Mention] = []
    for entity in entities:
        norm = normalize_name(entity.name)
        match = _match(entity, norm, [*candidates(norm, entity.type), *new], ask)
        if match is None:
            match = Known(str(uuidlib.uuid4()), entity.name, norm, entity.type)
            new.append(match)
            resolved.append(Mention(entity.name, entity.type, match.uuid, norm, True))
        else:
            fuller = _names_more_fully(norm, match)
            resolved.append(Mention(entity.name, match.type, match.uuid, match.norm, False, fuller))
    return resolved


def _names_more_fully(norm: str, match: Known) -> bool:
    """Whether a name the tiers matched to a person holds every word of the person's name and
    more ("oskar berg" for "oskar"): the person's fuller name. Never a place or an
    organisation: "Brighton Pier" is not a fuller name of Brighton, nor "BBC Scotland" of the
    BBC. A name that is already one of the entity's (its own, or an alias the user left by a
    correction) never renames it."""
    if match.type != "Person" or norm == match.norm or norm in match.alias_norms:
        return False
    return set(match.norm.split()) < set(norm.split())

"""Candidate names from a journal entry, found deterministically in its text.

A 135M model asked to *write* names invents sentences and misses the obvious; asked to
*type* names it is handed, it does much better. So the names come from here:

- capitalised spans ("Priya", "Bank of America", "St. Mary's Hospital"), joined across
  "of", "the", "de" and similar connectors and across title abbreviations ("Dr. Okafor");
- title + name ("Uncle Femi", "Dr. Okafor", "Aunt May") and capitalised kinship words used as
  names ("Mom", "Dad", "Grandma"): these are people, no model needed;
- every name the journal already knows, matched as a whole word, case-insensitively.

Never candidates: pronouns, weekdays, months, holidays, all-lowercase words, and the common
words a sentence starts with. Those come from ``COMMON_WORDS``, a small curated lexicon (function
words, pronouns, auxiliaries, and verbs, adverbs and adjectives that open journal sentences:
"Read", "Texted", "Quiet", "Long"); a span that starts with one loses it ("Read Piranesi" →
"Piranesi"), wherever it stands. A sentence-initial word the text also uses in lower case
("Running ... running") is taken as a common word too.

Some spans are typed here by their shape, and the model is not asked about them: a title or
kinship word makes a Person, a place head noun ("Road", "Hospital") a Place, an organization
head noun ("Bank", "Academy") an Organization. The rest is for the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .names import normalize_name
from .organizations import is_known_organization


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


Source = Literal["span", "title", "kin", "known"]

MAX_CANDIDATE_WORDS = 6

PRONOUNS = _words(
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves he him "
    "his himself she her hers herself it its itself they them their theirs themselves one "
    "someone somebody everyone everybody anyone anybody nobody no-one everything something "
    "anything nothing this that these those who whom whose which what"
)
WEEKDAYS = _words(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs "
    "fri sat sun"
)
MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
TIME_WORDS = _words(
    "today tonight tomorrow yesterday morning afternoon evening night noon midnight weekend "
    "week month year day am pm"
)
FUNCTION_WORDS = _words(
    "a an the and or but nor so yet for of in on at by to from with without into onto about "
    "above below over under after before during since until till than then there here when "
    "where why how while though although because if unless as also just only even still not "
    "no yes yeah yep nope ok okay oh ah hey hi hello bye thanks thank please wow lol omg all "
    "any each every both few many more most much some such other another same very too again "
    "already almost always never ever often sometimes maybe perhaps really actually finally "
    "anyway anyways well now soon later last next first second third new old is am are was "
    "were be been being do does did done have has had having would shall should can could may "
    "might must let lets let's gonna gotta wanna don didn doesn isn wasn aren weren haven "
    "hasn hadn won wouldn can't cant couldn shouldn mustn im ive id ill youre theyre were its "
    "thats theres whats heres"
)
JOURNAL_WORDS = _words(
    "read went had took called texted text finished started got spent made met saw watched "
    "bought sold paid ate drank drove walked ran flew landed left came sent wrote talked told "
    "asked said felt thought tried worked slept woke cooked cleaned played won lost signed "
    "booked moved visited stayed missed skipped cancelled canceled helped picked dropped "
    "caught couldn wanted need needed love loved hate hated like liked feeling feel going "
    "getting having doing making reading watching working thinking trying looking listening "
    "waiting planning starting finishing running walking quick quiet long short big small "
    "great good bad nice lovely rough busy lazy slow early late full whole half little tiny "
    "huge best worst happy sad tired exhausted glad grateful proud sorry done back home off "
    "out up down away dear note reminder update anyway also plus lunch dinner breakfast "
    "brunch coffee tea call chat meeting meetings interview walk run hike trip team work "
    "sprint standup retro shift nap gym class lesson date party day night morning evening weekend "
    "apparently honestly seriously definitely probably hopefully basically literally mostly "
    "totally exactly fine sure cool awesome amazing cried lay worth sat stood one two three "
    "four five six seven eight nine ten twenty hundred see look go get make take come give "
    "tell ask try remember hope wish think know want keep put find buy pay eat drink sleep "
    "stay wait start stop finish check note physio train bus tax blood iron moving knitting "
    "broth productive quarterly"
)
COMMON_WORDS = PRONOUNS | WEEKDAYS | MONTHS | TIME_WORDS | FUNCTION_WORDS | JOURNAL_WORDS
"""Words never a candidate alone, and stripped from the front of a span."""

NEVER_NAMES = PRONOUNS | WEEKDAYS | MONTHS | TIME_WORDS
"""Words that are not a name even as part of a longer span's edges."""

HOLIDAYS = _words(
    "christmas xmas easter diwali eid hanukkah chanukah thanksgiving halloween ramadan passover "
    "hogmanay pentecost boxing valentine valentines"
)
HOLIDAY_WORDS = HOLIDAYS | NEVER_NAMES | _words("eve new good")
"""A span of these alone, holding a holiday or of two words or more, is a day of the year,
not a person, place or organisation: "Christmas" ("home for Christmas" was filed as a
person), "Christmas Eve", "New Year's Eve", "Good Friday", "Boxing Day". Not "Christmas
Market" or "Easter Island", nor "Eve" alone (a name)."""

CONNECTORS = _words("of the de da del della di du la le van von der den y &")
"""Lower-case words a capitalised span may hold inside ("Bank of America"). Not "and": it joins
two people far more often than it sits inside one name ("Amara and Jonas")."""

PERSON_TITLES = _words(
    "dr doctor mr mrs ms miss mx prof professor sir dame lady lord rev reverend fr father "
    "sister brother uncle aunt auntie aunty cousin grandma grandpa granny grandad granddad "
    "grandmother grandfather nan nana nanna gran papa mama coach captain capt officer judge "
    "president senator pastor rabbi imam"
)
"""A capitalised word after one of these makes a Person ("Uncle Femi", "Dr. Okafor")."""

ABBREVIATIONS = _words("dr mr mrs ms mx prof st mt ft jr sr rev fr capt gen col lt sgt")
"""Words whose trailing period does not end a sentence or a span ("Dr. Okafor", "St. Mary's")."""

KINSHIP = _words(
    "mom mum mommy mummy mama ma dad daddy papa pa grandma grandpa granny grandad granddad "
    "gran nan nana nanna nonna abuela abuelo oma opa"
)
"""Kinship words that, capitalised, are used as a person's name ("Texted Mom")."""

PLACE_HEADS = _words(
    "street st road rd avenue ave lane boulevard blvd square park gardens garden station "
    "airport hospital hotel inn museum gallery cemetery church cathedral chapel mosque temple "
    "beach bay lake river mountain mount mt hill hills valley island islands bridge market "
    "centre center mall spa cafe café restaurant bar pub arena stadium theatre theater "
    "library zoo castle palace tower pier harbour harbor plaza heath common forest woods "
    "falls canyon coast county city town village district quarter"
)
"""A span ending in one of these is a Place ("Mill Road", "St. Mary's Hospital")."""

ORG_HEADS = _words(
    "inc ltd llc plc corp corporation company co bank university college academy school "
    "elementary institute foundation council ministry department agency association society "
    "union club group partners labs technologies systems diagnostics logistics airlines "
    "airways insurance holdings ventures studios records media news press fc"
)
"""A span ending in one of these is an Organization ("Halcyon Bank", "Westfield Academy")."""

_WORD = re.compile(r"[^\W_](?:[\w'\u2019&-]*[\w])?")
_SENTENCE_END = re.compile(r"[.!?:;\u2026\n\"\u201c\u201d(\[]\s*$|^\s*$|\s[-\u2013\u2014]\s*$")


@dataclass(frozen=True)
class Candidate:
    """A name as written in the text, where it was found, and its type if its shape says it."""

    name: str
    start: int
    end: int
    source: Source
    type: str | None = None  # Person/Place/Organization when decided without the model


@dataclass
class _Token:
    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return _base(self.text)

    @property
    def capitalised(self) -> bool:
        return any(c.isupper() for c in self.text) and len(self.text) >= 2


def _base(word: str) -> str:
    """Lower case, curly apostrophes straightened, a possessive or contraction cut off."""
    word = word.lower().replace("\u2019", "'").rstrip(".")
    return re.sub(r"'(s|m|ve|d|ll|re|t)$", "", word).replace("'", "")


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _WORD.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        if _base(word) in ABBREVIATIONS and text[end : end + 1] == ".":
            word, end = word + ".", end + 1
        tokens.append(_Token(word, start, end))
    return tokens


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` begins a sentence (or a line, a quote, a dash clause)."""
    return bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


def _strip_possessive(name: str) -> str:
    return re.sub(r"['\u2019]s$", "", name)


def _lowercase_words(text: str) -> set[str]:
    return {m.group() for m in _WORD.finditer(text) if m.group().islower()}


def _spans(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Runs of capitalised tokens separated only by spaces, connectors allowed inside."""
    spans: list[list[_Token]] = []
    i = 0
    while i < len(tokens):
        if not tokens[i].capitalised:
            i += 1
            continue
        span = [tokens[i]]
        j = i + 1
        while j < len(tokens) and len(span) < MAX_CANDIDATE_WORDS:
            gap = text[span[-1].end : tokens[j].start]
            # "&" or "and" joins two names only inside an organisation's: "Marks & Spencer",
            # not "Tom & Priya" (two people)
            if (joined := _organization_joined(text, gap, span, tokens, j)) is not None:
                span.extend(tokens[j:joined])
                j = joined
                continue
            if gap.strip() or "\n" in gap:
                break
            # "Dad's 70th", "Nan's recipe": a possessive ends a name unless a capitalised
            # word follows it ("St. Mary's Hospital", "Arthur's Seat").
            possessive = span[-1].text.endswith(("'s", "\u2019s"))
            if possessive and span[-1].key not in ABBREVIATIONS and not tokens[j].capitalised:
                break
            if tokens[j].capitalised:
                span.append(tokens[j])
                j += 1
                continue
            # a connector joins two capitalised words: "Bank of America", "Rio de Janeiro"
            if (
                tokens[j].text in CONNECTORS
                and j + 1 < len(tokens)
                and tokens[j + 1].capitalised
                and not text[tokens[j].end : tokens[j + 1].start].strip()
                and not text[span[-1].end : tokens[j].start].strip()
            ):
                span.extend(tokens[j : j + 2])
                j += 2
                continue
            break
        spans.append(span)
        i = j
    return spans


def _organization_joined(
    text: str, gap: str, span: list[_Token], tokens: list[_Token], j: int
) -> int | None:
    """Where the span ends when ``tokens[j]`` (after an "&" in ``gap``, the text before it)
    or ``tokens[j + 1]`` (after an "and" at ``j``, on the same line) ends a known
    organisation's name begun in ``span``: "Marks & Spencer", "Marks and Spencer". None
    when it does not ("Tom & Priya" are two people)."""
    if gap.strip() == "&":
        last = j
    elif not gap.strip() and "\n" not in gap and tokens[j].text == "and":
        last = j + 1
    else:
        return None
    if last >= len(tokens) or not tokens[last].capitalised:
        return None
    end = tokens[last].end
    if any(is_known_organization(text[token.start : end]) for token in span):
        return last + 1
    return None


VERB_FOLLOWERS = _words(
    "a an the up for in through how to at on my our out off back into down over from some all "
    "his her their that this about by with"
)


def _looks_like_verb(text: str, span: list[_Token], tokens_after: str) -> bool:
    """A sentence-initial "-ed"/"-ing" word followed by a function word: "Hiked up", "Opened an"."""
    head = span[0]
    if len(span) != 1 or len(head.text) < 5 or not head.key.endswith(("ed", "ing")):
        return False
    following = _WORD.match(tokens_after.lstrip())
    return (
        _sentence_initial(text, head.start)
        and following is not None
        and following.group() in VERB_FOLLOWERS
    )


PLACE_ADJECTIVES = _words(
    "new old great grand little big long central north south east west upper lower saint san "
    "santa los las el"
)
"""Kept at the front of a longer span: "New York", "Great Britain", "Long Island"."""


def _shouting(text: str) -> bool:
    """Mostly upper-case text: capitals there say nothing about names."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _trim(text: str, span: list[_Token], lowercase: set[str]) -> list[_Token]:
    """Drop common words from the front (and pronoun/weekday/month edges) of a span."""
    span = list(span)
    while span:
        head = span[0]
        if len(span) > 1 and head.key in PLACE_ADJECTIVES and span[1].capitalised:
            break
        common = head.key in COMMON_WORDS or head.text in CONNECTORS
        echoed = _sentence_initial(text, head.start) and head.text.lower() in lowercase
        if not (common or echoed) or (head.key in PERSON_TITLES and len(span) > 1):
            break
        span.pop(0)
    titled = len(span) > 1 and span[0].key in PERSON_TITLES  # "Aunt May": a name, not a month
    while span and not titled and (span[-1].key in NEVER_NAMES or span[-1].text in CONNECTORS):
        span.pop()
    return span


def _holiday(words: list[str]) -> bool:
    """Whether the span is a day of the year (``HOLIDAY_WORDS``)."""
    keys = [_base(word) for word in words]
    return all(key in HOLIDAY_WORDS for key in keys) and (len(keys) > 1 or keys[0] in HOLIDAYS)


def _shape_type(words: list[str]) -> tuple[Source, str | None]:
    keys = [_base(w) for w in words]
    if len(keys) > 1 and keys[0] in PERSON_TITLES:
        return "title", "Person"
    if len(keys) == 1 and keys[0] in KINSHIP:
        return "kin", "Person"
    if len(keys) > 1 and keys[-1] in PLACE_HEADS:
        return "span", "Place"
    if len(keys) > 1 and keys[-1] in ORG_HEADS:
        return "span", "Organization"
    return "span", None


def find_known(text: str, known: Mapping[str, str | None]) -> list[Candidate]:
    """Every known name occurring in the text as whole words (case-insensitive), longest first."""
    found: list[Candidate] = []
    taken: list[tuple[int, int]] = []
    for name in sorted(known, key=len, reverse=True):
        words = name.split()
        if not words:
            continue
        pattern = r"(?<![\w])" + r"\s+".join(map(re.escape, words)) + r"(?![\w])"
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            found.append(Candidate(name, match.start(), match.end(), "known", known[name] or None))
    return found


def find_candidates(text: str, known: Mapping[str, str | None] | None = None) -> list[Candidate]:
    """The candidate names of ``text`` in order of appearance, each name once.

    ``known`` maps names the journal already has to their type (or None): they are matched
    first, keep the name as the journal spells it and their type, and a span overlapping
    one is not proposed again. But for a known person named more fully ("Oskar Berg" where
    the journal knows "Oskar"): the span is the name then, a person still, and resolution
    asks whether it is the same one (``_fuller``).
    """
    known = dict(known or {})
    out = find_known(text, known) if known else []
    lowercase = _lowercase_words(text)
    tokens = [] if _shouting(text) else _tokens(text)
    for span in _spans(text, tokens):
        span = _trim(text, span, lowercase)
        if not span:
            continue
        start, end = span[0].start, span[-1].end
        name = text[start:end].strip()
        if not is_known_organization(name):  # "Sainsbury's" is a name; "Tom's" is Tom
            name = _strip_possessive(name)
        end = start + len(name)
        overlapped = [c for c in out if start < c.end and c.start < end]
        if overlapped:
            if (fuller := _fuller(name, start, end, overlapped)) is not None:
                out[out.index(overlapped[0])] = fuller
            continue
        words = name.split()
        if len(words) == 1 and (_base(name) in COMMON_WORDS and _base(name) not in KINSHIP):
            continue
        if _holiday(words):
            continue
        if sum(c.isalpha() for c in name) < 1 or len(name) < 2:
            continue
        if _looks_like_verb(text, span, text[span[-1].end :]):
            continue
        source, kind = _shape_type(words)
        out.append(Candidate(name, start, end, source, kind))
    seen: set[str] = set()
    unique = []
    for candidate in sorted(out, key=lambda c: c.start):
        key = normalize_name(candidate.name)
        if key and key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def _fuller(name: str, start: int, end: int, overlapped: list[Candidate]) -> Candidate | None:
    """The span ``name`` in place of the one known person it names more fully: a span of more
    words that holds the known name whole ("Oskar Berg" over "Oskar", "Oskar Berg" over
    "Berg"), typed a person as the journal knows him. None for anything else: a known place
    or organisation inside a longer name, or a title or kinship word before the known name
    ("Uncle Femi" for "Femi"), stays what the journal knows."""
    if len(overlapped) != 1:
        return None
    [known] = overlapped
    if known.source != "known" or known.type != "Person" or _shape_type(name.split())[1]:
        return None
    if known.start < start or known.end > end or len(name.split()) <= len(known.name.split()):
        return None
    return Candidate(name, start, end, "span", "Person")


def _title_case(text: str) -> bool:
    """A headline or promotion: most of the common words inside its sentences are capitalised
    ("Support Raw Illest And Storm At The Whiskey"). Names do not count, however many an
    entry holds ("Read Piranesi by Susanna Clarke. Flew to Nairobi with Wanjiru"), nor do
    sentence starts."""
    common = [
        m.group()
        for m in _WORD.finditer(text)
        if _base(m.group()) in COMMON_WORDS and not _sentence_initial(text, m.start())
    ]
    return len(common) >= 3 and sum(w[0].isupper() for w in common) >= 0.5 * len(common)


def worth_asking(text: str, candidate: Candidate) -> bool:
    """Whether the model should type this untyped candidate at all.

    Not worth it (measured on the train splits, where most of these are no name): a single
    word that starts a sentence with no cue around it ("Whoo who ready", "Headache again":
    the model almost never answers None), a long all-capitals word or phrase (shouting,
    "AGES", "STUPID IDEA") and a hashtag.
    In title-case text (half its words or more capitalised: headlines, promotions) capitals
    say little, and nothing uncued is asked about either. A known name is always asked about.
    """
    if candidate.source == "known":
        return True
    if _title_case(text):
        return False
    if len(candidate.name.split()) > 1 and not candidate.name.isupper():
        return True
    if candidate.name.isupper() and (len(candidate.name) >= 5 or " " in candidate.name):
        return False  # shouting: "CELEBRATE", "STUPID IDEA"
    if text[max(0, candidate.start - 1) : candidate.start] == "#":
        return False  # a hashtag: "#TimeToGetOut"
    return not _sentence_initial(text, candidate.start)

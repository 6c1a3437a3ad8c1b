"""The entity matcher: does a newly extracted name refer to an entity the graph already knows?

Used only for the ambiguous leftovers of cheap resolution (exact and fuzzy name matching).
The answer's type is a ``Literal`` of the candidates plus ``"none"``, so llama.cpp's grammar
can only produce a valid choice; the caller still checks it.
"""

from __future__ import annotations

from typing import Literal

import dspy

NO_MATCH = "none"


class MatchEntity(dspy.Signature):
    """Decide whether the name, as used in the journal entry, refers to one of the known entities.

    Answer with the known entity exactly as listed, or "none" when it is someone or something else.
    """

    name: str = dspy.InputField(desc="a name found in the entry")
    entry: str = dspy.InputField(desc="the journal entry the name comes from")
    candidates: list[str] = dspy.InputField(desc="known entities with similar names")
    match: str = dspy.OutputField(desc='one of the candidates, or "none"')


class EntityMatcher(dspy.Module):
    """``matcher(name=..., entry=..., candidates=[...])`` → ``Prediction(match=str | None)``."""

    def __init__(self) -> None:
        super().__init__()
        self.match = dspy.Predict(MatchEntity)

    def forward(self, name: str, entry: str, candidates: list[str]) -> dspy.Prediction:
        choices = tuple(dict.fromkeys(candidates))
        if not choices:
            return dspy.Prediction(match=None)
        # The stored predictor carries instructions and demos; each call narrows its answer type.
        signature = self.match.signature.with_updated_fields(
            "match", type_=Literal[(*choices, NO_MATCH)]
        )
        predictor = dspy.Predict(signature)
        predictor.demos = self.match.demos
        with dspy.context(adapter=dspy.JSONAdapter()):
            answer = predictor(name=name, entry=entry, candidates=list(choices))
        match = answer.match if answer.match in choices else None
        return dspy.Prediction(match=match)

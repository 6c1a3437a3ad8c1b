"""The prompts Charlie's programs send: the same system prompt on every call, and short.

Both programs narrow their answer's type per call (the extractor's schema holds each entry's
candidates, the matcher's its candidate names). DSPy's JSON adapter writes that type into the
system prompt, so the prompt's start changes on every call and llama.cpp's prefix cache is
lost: instructions and demos evaluated again each time (~20 ms a token for SmolLM2-135M on one
thread). Here the system prompt describes the signature's generic type; the narrowed one goes
into the grammar only.

The prompts are also compact. DSPy's JSON adapter spends ~150 tokens of the system prompt on
framing ("Your input fields are… All interactions will be structured…"), ~10 on every field
header (``[[ ## text ## ]]``), indents its demo answers (which the model copies, token by
token) and ends the request with the answer's narrowed type (the matcher's candidates again).
``StablePromptAdapter`` keeps what the model needs: the instructions, each field named with its
description, the demos, the answer's JSON shape, and a short closing "Respond with a JSON
object: `types`." (without it the extractor typed fewer names).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

import dspy
from dspy.adapters.utils import format_field_value, serialize_for_json


class StablePromptAdapter(dspy.JSONAdapter):
    """DSPy's JSON adapter with a compact prompt whose system message describes ``stable``'s
    fields: ~40 % fewer prompt tokens than DSPy's layout (half, for the matcher), and answers
    written as compact JSON (the demos show it, the model follows).

    The call's own signature still gives the instructions (an optimizer may have rewritten
    them) and the answer's grammar.
    """

    def __init__(self, stable: type[dspy.Signature]) -> None:
        super().__init__()
        self.stable = stable

    def format_system_message(self, signature: type[dspy.Signature]) -> str:
        inputs = "\n".join(_described(name, f) for name, f in self.stable.input_fields.items())
        outputs = "\n".join(_described(name, f) for name, f in self.stable.output_fields.items())
        return (
            f"{textwrap.dedent(signature.instructions).strip()}\n\n"
            f"Input:\n{inputs}\n"
            f"Answer, as a JSON object:\n{outputs}"
        )

    def format_user_message_content(
        self,
        signature: type[dspy.Signature],
        inputs: dict[str, Any],
        prefix: str = "",
        suffix: str = "",
        main_request: bool = False,
    ) -> str:
        lines = [prefix] if prefix else []
        for name, field in signature.input_fields.items():
            if name in inputs:
                lines.append(f"{name}: {format_field_value(field_info=field, value=inputs[name])}")
        if main_request:  # without this reminder the model types fewer names (WNUT-17 recall)
            lines.append(self.user_message_output_requirements(signature))
        if suffix:
            lines.append(suffix)
        return "\n".join(lines)

    def user_message_output_requirements(self, signature: type[dspy.Signature]) -> str:
        """DSPy's reminder names the answer's (per-call) type too; the fields are enough."""
        return (
            f"Respond with a JSON object: {', '.join(f'`{f}`' for f in signature.output_fields)}."
        )

    def format_assistant_message_content(
        self,
        signature: type[dspy.Signature],
        outputs: dict[str, Any],
        missing_field_message: str | None = None,
    ) -> str:
        answer = {
            name: outputs.get(name, missing_field_message) for name in signature.output_fields
        }
        return json.dumps(serialize_for_json(answer), ensure_ascii=False)


def _described(name: str, field: Any) -> str:
    description = (field.json_schema_extra or {}).get("desc") or ""
    return f"{name}: {description}" if description else name

"""The entity matcher's labelled check set, for the tests and ``bench/matcher_accuracy.py``.

Written for the check (``charlie_optimize/data/matcher_cases.jsonl``), not drawn from any
split of the extraction data: per case an entry, the name found in it, its type, the known
entities resolution would offer the matcher (in the order it offers them) and the right
answer, ``None`` when the name means none of them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def matcher_cases() -> list[dict[str, Any]]:
    path = resources.files("charlie_optimize") / "data" / "matcher_cases.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

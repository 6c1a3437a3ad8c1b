"""Entity identity under more than one worker: one node per journal, normalised name and type."""

from __future__ import annotations

from collections import Counter

import pytest

from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store.entities import known_entities
from charlie_worker.store.journal import save_entry


@pytest.mark.slow
def test_two_workers_meeting_the_same_new_names_file_one_entity_each(db, workers, rb) -> None:
    for day in range(8):
        save_entry(f"Lunch with Zephyrine and Okonkwo at Brastow, day {day}.")
    first, second = workers.start(), workers.start()
    rb.wait_for(lambda: not rb.episode_keys(), 300, "every entry to be read")
    found = Counter((k.norm, k.type) for k in known_entities(DEFAULT_JOURNAL))
    assert ("zephyrine", "Person") in found, found
    assert all(count == 1 for count in found.values()), found
    assert rb.graph_problems() == []
    assert workers.stop(first) == 0 and workers.stop(second) == 0

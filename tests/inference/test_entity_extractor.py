"""The entity extractor: guards in unit tests, parse rate and names on the real model."""

from __future__ import annotations

from pathlib import Path

import dspy
import pytest

from charlie_inference import (
    ENTITY_TYPES,
    DspyLM,
    Entity,
    EntityExtractor,
    ModelSettings,
    ProgramStateError,
    load_extractor,
)
from charlie_inference.programs.entity_extractor import chunk_text, clean_entities, normalize_name

ENTRIES = [
    "Today I met Sarah at the cafe.",
    "Had lunch with Priya and talked about her new job.",
    "Called Mum in Lisbon; she sounds well.",
    "Tom and I went hiking near Boulder on Saturday.",
    "Finished the report for Acme Corp before the deadline.",
    "Went running. Tired but happy.",
]


def test_clean_dedupes_trims_grounds_and_bounds() -> None:
    raw = [
        Entity(name=" Sarah ", type="Person"),
        Entity(name="sarah", type="Thing"),
        Entity(name="Paris.", type="Place"),
        Entity(name="Gandalf", type="Person"),  # not in the text: invented
    ]
    cleaned = clean_entities(raw, "I met Sarah in Paris.")
    assert cleaned == [Entity(name="Sarah", type="Person"), Entity(name="Paris", type="Place")]
    many = [Entity(name=f"n{i}", type="Thing") for i in range(50)]
    text = " ".join(f"n{i}" for i in range(50))
    assert len(clean_entities(many, text, limit=5)) == 5


def test_normalize_name_ignores_case_accents_and_punctuation() -> None:
    assert normalize_name("  José-María  O'Neil ") == normalize_name("jose maria o neil")


def test_chunking_keeps_every_word_and_respects_the_size() -> None:
    text = "\n\n".join(f"Sentence number {i} mentions Sarah. " * 20 for i in range(10))
    chunks = chunk_text(text, size=500)
    assert all(len(c) <= 500 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    assert chunk_text("short") == ["short"]
    assert chunk_text("   ") == []
    assert all(len(c) <= 100 for c in chunk_text("x" * 350, size=100))


def test_entity_schema_rejects_unknown_types() -> None:
    assert set(ENTITY_TYPES) == {"Person", "Place", "Organization", "Thing"}
    with pytest.raises(ValueError):
        Entity(name="x", type="Animal")  # type: ignore[arg-type]


def test_real_model_every_output_parses_and_finds_a_person(lm: DspyLM) -> None:
    extractor = EntityExtractor()
    found: list[list[Entity]] = []
    with dspy.context(lm=lm):
        for text in ENTRIES:
            prediction = extractor(text=text)  # raises ExtractionError if unparseable
            assert all(
                isinstance(e, Entity) and e.type in ENTITY_TYPES for e in prediction.entities
            )
            found.append(prediction.entities)
    assert len(found) == len(ENTRIES)  # 100 % schema-valid
    people = {e.name for entities in found for e in entities if e.type == "Person"}
    assert people & {"Sarah", "Priya", "Tom"}, f"no obvious person found: {found}"


def test_load_extractor_applies_saved_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    program = EntityExtractor()
    program.extract.signature = program.extract.signature.with_instructions("Find names. Be exact.")
    program.extract.demos = [
        dspy.Example(text="I saw Ana.", entities=[Entity(name="Ana", type="Person")])
    ]
    program.save(str(state))
    loaded = load_extractor(ModelSettings(program_state=state))
    assert loaded.extract.signature.instructions == "Find names. Be exact."
    assert len(loaded.extract.demos) == 1
    assert load_extractor(ModelSettings(program_state=tmp_path / "absent.json")).extract.demos == []


def test_corrupt_program_state_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    with pytest.raises(ProgramStateError, match="CHARLIE_LLM_PROGRAM_STATE"):
        load_extractor(ModelSettings(program_state=state))

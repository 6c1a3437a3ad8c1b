"""The entity extractor: guards in unit tests, parse rate and names on the real model."""

from __future__ import annotations

import contextlib
from itertools import pairwise
from pathlib import Path

import dspy
import pytest

from charlie_inference import (
    ENTITY_TYPES,
    DspyLM,
    Entity,
    EntityExtractor,
    ExtractionError,
    ModelServerError,
    ModelSettings,
    ProgramStateError,
    load_extractor,
)
from charlie_inference.programs.entity_extractor import (
    CHOICES,
    FreeformEntityExtractor,
    answer_model,
    chunk_text,
    chunks_of,
    clean_entities,
    load_freeform_extractor,
    normalize_name,
    shipped_state_path,
)
from kit.fake_lm import ScriptedLM, by_text, types_answer
from kit.long_entries import NAMES, long_entry

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


def test_each_chunk_knows_where_it_sits_in_the_text() -> None:
    text = "  First one.  Second one is here.\n\n\nThird, after a gap! " + "word " * 60
    chunks = chunks_of(text, size=40)
    assert [text[c.start : c.end] for c in chunks] == [c.text for c in chunks]
    assert all(c.text == c.text.strip() and 0 < c.end - c.start <= 40 for c in chunks)
    assert all(a.end < b.start for a, b in pairwise(chunks))
    assert "".join(text.split()) == "".join("".join(c.text for c in chunks).split())


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
    program.classify.signature = program.classify.signature.with_instructions("Type them.")
    program.classify.demos = program.classify.demos[:1]
    program.save(str(state))
    loaded = load_extractor(ModelSettings(program_state=state))
    assert loaded.classify.signature.instructions == "Type them."
    assert len(loaded.classify.demos) == 1


def test_the_shipped_state_applies_when_the_user_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mechanism, with a stand-in shipped file (none is shipped yet: see the README)."""
    from charlie_inference.programs import entity_extractor as module

    shipped, mine = tmp_path / "shipped.json", tmp_path / "mine.json"
    program = EntityExtractor()
    program.classify.signature = program.classify.signature.with_instructions("Shipped.")
    program.save(str(shipped))
    program.classify.signature = program.classify.signature.with_instructions("Mine.")
    program.save(str(mine))
    monkeypatch.setattr(module, "shipped_state_path", lambda: shipped)
    no_state = load_extractor(ModelSettings(program_state=tmp_path / "absent.json"))
    assert no_state.classify.signature.instructions == "Shipped."
    # A user's own optimized state still wins over what Charlie ships.
    assert load_extractor(ModelSettings(program_state=mine)).classify.signature.instructions == (
        "Mine."
    )
    assert shipped_state_path().name == "entity_extractor.json"


def test_a_state_of_the_previous_program_is_skipped(tmp_path: Path) -> None:
    state = tmp_path / "old.json"
    old = FreeformEntityExtractor()
    old.extract.demos = [
        dspy.Example(text="I saw Ana.", entities=[Entity(name="Ana", type="Person")])
    ]
    old.save(str(state))
    loaded = load_extractor(ModelSettings(program_state=state))  # no error: skipped
    assert isinstance(loaded, EntityExtractor)
    assert all("candidates" in demo for demo in loaded.classify.demos)
    assert len(load_freeform_extractor(ModelSettings(program_state=state)).extract.demos) == 1


def test_corrupt_program_state_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    with pytest.raises(ProgramStateError, match="CHARLIE_LLM_PROGRAM_STATE"):
        load_extractor(ModelSettings(program_state=state))


def test_the_answer_schema_allows_only_the_candidates_and_the_choices() -> None:
    model = answer_model(["Priya", "St. Mary's Hospital"])
    schema = model.model_json_schema()
    assert list(schema["properties"]) == ["Priya", "St. Mary's Hospital"]
    assert schema["required"] == ["Priya", "St. Mary's Hospital"]
    assert schema["properties"]["Priya"]["enum"] == list(CHOICES)
    with pytest.raises(ValueError):
        model.model_validate({"Priya": "Person", "St. Mary's Hospital": "Animal"})
    with pytest.raises(ValueError):
        model.model_validate({"Priya": "Person", "Gandalf": "Person"})


class NoModel(dspy.BaseLM):
    """An LM that fails the test if the program asks it anything."""

    def __init__(self) -> None:
        super().__init__(model="none")

    def forward(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("the model was called")


def test_known_names_and_shapes_need_no_model_call() -> None:
    extractor = EntityExtractor()
    with dspy.context(lm=NoModel()):
        found = extractor(
            text="Long call with Mom and Uncle Femi about lagos. Then Priya texted.",
            known={"Lagos": "Place", "Priya": "Person"},
        ).entities
        assert [(e.name, e.type) for e in found] == [
            ("Mom", "Person"),
            ("Uncle Femi", "Person"),
            ("Lagos", "Place"),
            ("Priya", "Person"),
        ]
        assert extractor(text="Went running. Tired but happy.").entities == []


def test_reading_chunk_by_chunk_finds_what_forward_finds() -> None:
    text = long_entry()
    model = ScriptedLM(lambda prompt: types_answer(*((n, "Person") for n in NAMES if n in prompt)))
    extractor = EntityExtractor()
    with dspy.context(lm=model):
        whole = extractor(text=text).entities
        found = [e for chunk in chunks_of(text) for e in extractor.read_chunk(chunk.text)]
    assert clean_entities(found, text) == whole
    assert [e.name for e in whole] == list(NAMES)


def test_a_model_server_outage_is_not_an_unusable_answer() -> None:
    """dspy wraps what the engine raises: the outage must still reach the worker as one (the
    entry waits), not as unusable output (the entry would fail)."""

    def down(prompt: str) -> str:
        raise ModelServerError("The model server at http://127.0.0.1:9/v1 failed: refused")

    with dspy.context(lm=ScriptedLM(down)), pytest.raises(ModelServerError, match="refused"):
        EntityExtractor().read_chunk("Later I thought about Zorba for a while.")
    with dspy.context(lm=ScriptedLM(down)), pytest.raises(ModelServerError, match="refused"):
        FreeformEntityExtractor()(text="Later I thought about Zorba for a while.")


# --------------------------------------------------------------------------- real model

TRAPS = [
    "Quiet day. Read Piranesi by Susanna Clarke on the train to work.",
    "Team offsite at the Asilomar conference grounds on Monday.",
    "Lunch with Priya and Sarah. Texted Mom afterwards.",
    "Long call with Mom and Uncle Femi about Christmas in Lagos",
]


@pytest.mark.slow
def test_real_model_trap_entries_give_sane_results(lm: DspyLM) -> None:
    extractor = load_extractor(ModelSettings(program_state=Path("/nonexistent/state.json")))
    with dspy.context(lm=lm):
        results = [extractor(text=text).entities for text in TRAPS]
        nothing = extractor(text="Nothing much happened today. Worked, ate, slept.").entities
        known = extractor(text="Coffee with Ada at the Lagos office.", known={"Ada": "Place"})
    every = [e for entities in results for e in entities]
    for entity in every:  # no sentence, weekday, month, pronoun or lower-case filler
        assert len(entity.name.split()) <= 4 and entity.name[0].isupper(), entity
        assert entity.name not in {"Monday", "Quiet", "Read", "Team", "Texted", "Long"}
    types = {e.name: e.type for e in every}
    assert types.get("Priya") == "Person", results
    assert types.get("Mom") == "Person" and types.get("Uncle Femi") == "Person", results
    assert nothing == []
    assert ("Ada", "Place") in [(e.name, e.type) for e in known.entities]  # the graph's type


@pytest.mark.parametrize(
    ("text", "known"),
    [
        *((text, None) for text in ENTRIES),
        ("Back at Zorba with Okonkwo.", {"Zorba": "Place", "Okonkwo": "Person"}),
        ("Back at Zorba with Okonkwo.", {"Okonkwo": "Person"}),
        ("Nothing happened. " * 100 + "Then Zorba.", None),  # the name in a later chunk
        ("Nothing happened. " * 100 + "Then Sarah said hi.", None),
    ],
)
def test_needs_model_says_whether_reading_asks_the_model(
    text: str, known: dict[str, str] | None
) -> None:
    """The worker loads no model when ``needs_model`` says so: it must match what reading does."""
    lm = ScriptedLM(by_text({}))
    extractor = EntityExtractor()
    with dspy.context(lm=lm), contextlib.suppress(ExtractionError):  # any answer will do
        extractor(text=text, known=known)
    assert extractor.needs_model(text, known) == bool(lm.scripted.requests)

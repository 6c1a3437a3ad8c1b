"""The instructions' KV state kept on disk: a later load of the model evaluates only each
call's request and answers as a load without the cache does; the disk holds the
instructions alone, privately; a stale or damaged state is never used."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import dspy
import pytest

from charlie_inference import DspyLM, Entity, ModelSettings, choices, data_dir
from charlie_inference.programs.entity_extractor import EntityExtractor
from charlie_inference.prompt_cache import ABANDONED_S, SPELLINGS_SUFFIX, SUFFIX, PromptCache
from kit.llama_calls import counted_evals

TEXT = "Sprint review with Wanjiru. Kestrel joined from Dublin. Tired but happy."


@pytest.fixture
def open_lms() -> Iterator[list[DspyLM]]:
    """Models a test loads, closed after it."""
    lms: list[DspyLM] = []
    yield lms
    for lm in lms:
        lm.close()


def load(open_lms: list[DspyLM], **settings: object) -> DspyLM:
    lm = DspyLM(ModelSettings(**settings))
    open_lms.append(lm)
    return lm


def extract(lm: DspyLM) -> tuple[list[Entity], list[int]]:
    """The entities of ``TEXT`` and the size of each batch the model evaluated for them."""
    with dspy.context(lm=lm), counted_evals(lm.llama_engine.llama) as batches:
        entities = EntityExtractor()(text=TEXT).entities
    assert lm.history, "the entry was typed without the model: nothing measured"
    return entities, batches


def cached_tokens(lm: DspyLM) -> int:
    return lm.history[0]["usage"]["prompt_tokens_details"]["cached_tokens"]


def saved_states(suffix: str = SUFFIX) -> list[Path]:
    directory = ModelSettings().prompt_cache_dir
    assert directory is not None
    return sorted(directory.glob(f"*{suffix}"))


def test_a_later_load_reads_the_instructions_instead_of_evaluating_them(open_lms) -> None:
    first = load(open_lms)
    entities, cold = extract(first)
    first.close()
    later = load(open_lms)
    again, warm = extract(later)
    without, _ = extract(load(open_lms, prompt_cache=False))

    assert entities == again == without
    instructions = cold[0]
    assert warm == cold[1:]  # the same batches, but for the instructions
    assert cached_tokens(first) == 0  # evaluated by that call: not reported as reused
    assert cached_tokens(later) == instructions


def test_the_disk_holds_the_instructions_alone_and_only_for_the_user(open_lms) -> None:
    lm = load(open_lms)
    extract(lm)
    (state,) = saved_states()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700

    llama = lm.llama_engine.llama
    prompt = list(llama.input_ids[: lm.history[0]["usage"]["prompt_tokens"]])
    (instructions,) = lm.llama_engine._instructions.values()
    assert prompt[: len(instructions)] == instructions
    assert state == lm.llama_engine.prompt_cache.path_for(instructions)
    # Everything of the entry comes after what was saved.
    assert "Wanjiru" not in llama.detokenize(instructions).decode()
    assert (
        llama.detokenize(prompt[len(instructions) :])
        .decode()
        .startswith("text: Sprint review with Wanjiru")
    )


def test_a_state_llama_cpp_refuses_is_replaced_and_the_answer_unchanged(open_lms) -> None:
    first = load(open_lms)
    entities, cold = extract(first)
    first.close()
    (state,) = saved_states()
    state.write_bytes(state.read_bytes()[:1000])  # cut short, as by a full disk

    again, batches = extract(load(open_lms))
    assert again == entities
    assert batches == cold  # the instructions evaluated again
    assert saved_states() == [state] and state.stat().st_size > 1000


def test_a_later_load_reads_the_token_spellings_instead_of_asking_llama_cpp(
    open_lms, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = load(open_lms)
    entities, _ = extract(first)
    assert not caplog.records  # nothing saved yet is no cause for a warning
    asked = choices.token_spellings(first.llama_engine.llama)
    (saved,) = saved_states(SPELLINGS_SUFFIX)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    first.close()

    def not_asked(llama: object) -> list[bytes]:
        raise AssertionError("the spellings were asked of llama.cpp again")

    monkeypatch.setattr(choices, "token_spellings", not_asked)
    later = load(open_lms)
    again, _ = extract(later)
    engine = later.llama_engine
    assert again == entities
    assert engine._spellings is not None  # the answer was decoded at its choices
    assert engine.prompt_cache.spellings(engine.llama) == asked


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:1000],
        lambda data: data + b"x",
        lambda data: b"",
        lambda data: b"\xff" * 9,
    ],
    ids=["cut short", "longer", "empty", "garbage"],
)
def test_damaged_token_spellings_are_asked_again_and_saved_whole(open_lms, damage) -> None:
    engine = load(open_lms).llama_engine
    asked = choices.token_spellings(engine.llama)
    assert engine.prompt_cache.spellings(engine.llama) == asked
    (saved,) = saved_states(SPELLINGS_SUFFIX)
    whole = saved.read_bytes()
    saved.write_bytes(damage(whole))

    assert engine.prompt_cache.spellings(engine.llama) == asked
    assert saved.read_bytes() == whole


def test_off_nothing_is_kept(open_lms) -> None:
    settings = ModelSettings(prompt_cache=False)
    assert settings.prompt_cache_dir is None
    lm = load(open_lms, prompt_cache=False)
    extract(lm)
    assert lm.llama_engine.prompt_cache is None
    assert not (data_dir() / "cache").exists()


def test_another_model_file_or_the_same_file_changed_names_another_state(tmp_path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF one")
    tokens = [1, 2, 3]
    before = PromptCache(tmp_path / "cache", model).path_for(tokens)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF one")
    assert PromptCache(tmp_path / "cache", other).path_for(tokens) != before
    assert PromptCache(tmp_path / "cache", model).path_for([1, 2, 4]) != before
    os.utime(model, ns=(1, 1))
    assert PromptCache(tmp_path / "cache", model).path_for(tokens) != before


def test_only_the_newest_states_are_kept_and_what_a_killed_writer_left_goes(tmp_path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    directory = tmp_path / "cache"
    directory.mkdir()
    states = [directory / f"{n}{SUFFIX}" for n in range(4)]
    spellings = [directory / f"{n}{SPELLINGS_SUFFIX}" for n in range(3)]
    for kept in (states, spellings):
        for age, path in enumerate(reversed(kept)):  # the first the newest
            path.write_bytes(b"saved")
            os.utime(path, (1_000_000 + age, 1_000_000 + age))
    abandoned, writing = directory / "a.1.tmp", directory / "b.2.tmp"
    abandoned.write_bytes(b"half")
    os.utime(abandoned, (1, 1))
    writing.write_bytes(b"half")
    assert writing.stat().st_mtime > 1 + ABANDONED_S

    PromptCache(directory, model, keep=2)._sweep()
    assert sorted(directory.iterdir()) == sorted([*states[:2], *spellings[:2], writing])

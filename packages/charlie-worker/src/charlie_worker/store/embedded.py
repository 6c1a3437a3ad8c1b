"""The embedded server: a private falkordblite redis-server (FalkorDB module) per data dir.

falkordblite starts a redis-server for a database file and writes ``<db>.settings`` naming its
unix socket; any process opening the same file attaches to that server instead of starting
another. On top of that this module adds what the journal needs (each point measured with
falkordblite 0.11 / Redis 8.10 on Linux):

* opening is serialised with an exclusive ``flock`` beside the db: three processes opening at
  once otherwise start three servers on the same files and lose writes;
* an append-only file with ``appendfsync`` from settings, so an acknowledged entry survives
  ``kill -9`` of every process, compacted as it grows (``AOF_REWRITE_PERCENTAGE``), so a start
  loads the journal, not its history; no other snapshot of its own (``NO_SAVE_POINTS``): the
  AOF alone is the journal on disk; no TCP port; directory 0700, files 0600;
* a registry (``<db>.settings``) naming a dead server (SIGKILL leaves it behind) is dropped
  before opening, otherwise the open fails with "connection refused";
* our own close: falkordblite's ``close()`` waits for the server's pid to vanish, which takes
  1-2 s when the reaper of daemonised processes is slow (a zombie still "runs") and ~4 s more
  with redis-py 8's default retry backoff. We shut the server down ourselves, treat a zombie
  as gone, and clean the registry and temp dir;
* who stops the server: the process that started it, at its close, whoever else is still
  connected (falkordblite's rule, "the last connection stops it", left a server running for
  ever behind any client that never quits, a script or a stray worker). A process that joined
  a server leaves it alone, unless it holds the last connection: then the starter is gone
  (killed) and nobody else would stop it. A client still connected when the starter stops
  the server loses it; the app notices and starts it again (``connection.reopen_if_lost``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redislite import FalkorDB, Graph

from charlie_worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 30.0
"""How long to wait for another process's open or close before giving up with a clear error."""
SHUTDOWN_TIMEOUT_S = 10.0
AOF_REWRITE_MIN_SIZE = "1mb"
AOF_REWRITE_PERCENTAGE = "25"
"""The server compacts its append-only file in the background (a snapshot of the data, then
the writes since) once it passes ``AOF_REWRITE_MIN_SIZE`` and has grown by this percentage
since its last compaction: redis' own rule, whose defaults (64 MB, 100 %) suit a server that
rarely starts. A start replays the writes after the snapshot: with the defaults, every write
a journal ever had (each entry saved, read, corrected), so opening 10,000 entries took ~1.9 s
against ~0.12 s for ten. Now it replays the writes since the last compaction, about a quarter
of the file's size at most (more only if many writes came while it compacted), and a server
started on a longer tail compacts it at once (``bench/journal_open.py``)."""


class EmbeddedServer:
    """This process's handle on the journal's own server, started or joined at ``open``."""

    def __init__(self, db: FalkorDB, db_path: Path, *, started: bool) -> None:
        self._db = db
        self.db_path = db_path
        self.client: redis.Redis = db.client
        self.started = started
        """This process started the server (rather than joined it): it stops it at close."""
        self._pid = int(db.client.pid or 0)

    @classmethod
    def open(cls, settings: WorkerSettings, *, from_snapshot: bool = False) -> EmbeddedServer:
        """Start or join the server for the settings' db under the lock, with private
        permissions; attaches to ``settings.redis_socket`` when the app handed one over.

        ``from_snapshot``: the db file is a restored RDB snapshot and there is no AOF yet. A
        server started with the AOF on would ignore the RDB and start empty, so it starts with
        the AOF off, loads the snapshot, and then writes the AOF from it before returning.
        """
        db_path = settings.db_path.absolute()
        old_umask = os.umask(0o077)  # the server inherits it: AOF, RDB, log all 0600
        try:
            settings.data_dir.absolute().mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(settings.data_dir, 0o700)  # tightened if an older version left it open
            db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _make_private(db_path.parent)
            with _flocked(_lock_path(db_path)):
                _prepare_registry(db_path, settings.redis_socket)
                config = _server_config(settings)
                if from_snapshot:
                    config["appendonly"] = "no"
                try:
                    db = FalkorDB(str(db_path), serverconfig=config)
                except redis.ConnectionError:
                    # The server named by the registry died between our probe and the attach.
                    logger.warning("stale server for %s; starting a fresh one", db_path)
                    _registry_path(db_path).unlink(missing_ok=True)
                    db = FalkorDB(str(db_path), serverconfig=config)
                _enforce_durability(db.client, settings)
                if from_snapshot:
                    wait_for_aof_rewrite(db.client)
                # falkordblite marks a client that started its server as running.
                started = bool(db.client.running)
                if started:  # so no backup of another process is copying the RDB now
                    _drop_leftover_snapshot(db_path)
                return cls(db, db_path, started=started)
        finally:
            os.umask(old_umask)

    @property
    def socket(self) -> str:
        """The unix socket a worker subprocess attaches to (``CHARLIE_REDIS_SOCKET``)."""
        return str(self.client.socket_file)

    @property
    def pid(self) -> int:
        """The redis-server's pid (0 if it is gone)."""
        return self._pid if _server_alive(self._pid) else 0

    def lost(self) -> bool:
        """Whether the server process is gone (killed, or stopped by its starter)."""
        return not _server_alive(self._pid)

    def select_graph(self, name: str) -> Graph:
        return self._db.select_graph(name)

    def new_pool(self) -> redis.ConnectionPool:
        """A non-decoding pool (Huey's payloads are pickled bytes) on the same socket."""
        return redis.ConnectionPool(
            connection_class=redis.UnixDomainSocketConnection, path=self.socket
        )

    def close(self, pools: list[redis.ConnectionPool]) -> None:
        """Disconnect ``pools``, and shut the server down if this process started it, or
        if ours is its last connection (its starter is gone)."""
        client = self.client
        started = time.perf_counter()
        for pool in pools:
            pool.disconnect()
        # redis-py 8 retries a dropped connection with backoff: seconds lost on SHUTDOWN.
        client.set_retry(Retry(NoBackoff(), 0))
        try:
            with _flocked(_lock_path(self.db_path)):
                _shut_down(client, self.db_path, self._pid, started=self.started)
        finally:
            self.forget()
            client.connection_pool.disconnect()
        logger.debug("closed %s in %.3f s", self.db_path, time.perf_counter() - started)

    def forget(self) -> None:
        """Make falkordblite's own cleanup (``__del__``, atexit) a no-op: for a closed handle,
        or one inherited through fork (the parent owns those sockets)."""
        _neutralize(self.client)


def _make_private(db_dir: Path) -> None:
    """Directories 0700 and files 0600 in the db dir (the db, its AOF dir and files, the
    registry, the lock): new ones are already (umask), older ones left open are tightened."""
    for root, dirs, files in os.walk(db_dir):
        os.chmod(root, 0o700)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path) and os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]


NO_SAVE_POINTS = '""'
"""redislite's config saves an RDB snapshot of the whole journal every 15 s to 15 min while it
is written (redis' classic save points), and redis saved one more at every close: each a full
copy next to the AOF, which a start never reads (with the AOF on, redis loads the AOF). Backups
ask for their snapshot themselves (``snapshots.save_snapshot``: ``BGSAVE``)."""


def _drop_leftover_snapshot(db_path: Path) -> None:
    """Remove an RDB file the started server has no use for (its AOF holds the journal): one
    written at a close by an older Charlie, a backup's, or the snapshot just restored. Left
    there, it would keep entries deleted since, out of the user's sight."""
    if db_path.exists():
        logger.debug("removing %s: the append-only file holds the journal", db_path)
        db_path.unlink()


def _server_config(settings: WorkerSettings) -> dict[str, str]:
    return {
        "save": NO_SAVE_POINTS,
        "port": "0",  # unix socket only: nothing on the network can reach the journal
        "unixsocketperm": "700",
        "appendonly": "yes",
        "appendfsync": settings.appendfsync,
        "auto-aof-rewrite-min-size": AOF_REWRITE_MIN_SIZE,
        "auto-aof-rewrite-percentage": AOF_REWRITE_PERCENTAGE,
    }


def _enforce_durability(client: redis.Redis, settings: WorkerSettings) -> None:
    """A server we joined may have been started with other settings: align its persistence."""
    current = client.config_get("appendonly", "appendfsync")
    if current.get("appendonly") != "yes":
        client.config_set("appendonly", "yes")
    if current.get("appendfsync") != settings.appendfsync:
        client.config_set("appendfsync", settings.appendfsync)


def wait_for_aof_rewrite(client: redis.Redis) -> None:
    """Wait until the server has compacted its AOF at least once and is not compacting now:
    once ``_enforce_durability`` turned the AOF on, it then holds the whole dataset."""
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S * 6
    while True:
        info = client.info("persistence")
        busy = info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled")
        if not busy and info.get("aof_enabled") and info.get("aof_rewrites", 1):
            break
        if time.monotonic() > deadline:
            raise TimeoutError("The database did not finish writing its append-only file.")
        time.sleep(0.05)
    if info.get("aof_last_bgrewrite_status") != "ok":
        raise RuntimeError("The database could not write its append-only file.")


def _prepare_registry(db_path: Path, env_sock: str | None) -> None:
    """Make ``<db>.settings`` name a live server for ``db_path``, or remove it.

    falkordblite trusts the registry when the pid in its pidfile exists; after a SIGKILL the
    pid can still exist (a zombie, or a reused pid) while the socket refuses connections.
    """
    registry = _registry_path(db_path)
    if env_sock:
        config = _probe(env_sock)
        if config is not None and _serves(config, db_path):
            current = _read_registry(registry)
            if current is None or current.get("unixsocket") != env_sock:
                _write_registry(registry, db_path, env_sock, config["pidfile"])
            return
        logger.warning(
            "%s=%s is not a server of %s; ignoring it",
            WorkerSettings.env_name("redis_socket"),
            env_sock,
            db_path,
        )
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


def _shut_down(client: redis.Redis, db_path: Path, pid: int, *, started: bool) -> None:
    """Shut the server down if we started it or hold its last connection; clean its files."""
    sock = str(client.socket_file)
    client.connection_pool.disconnect()
    try:
        others = len(client.client_list(_type="normal")) - 1
    except redis.ConnectionError:
        others = -1  # the server is already gone (killed): only files to clean
    if others > 0 and not started:
        logger.debug("%d other connection(s) on %s: leaving the server running", others, sock)
        return
    if others > 0:
        logger.info("stopping the server on %s; %d other client(s) lose it", sock, others)
    if others >= 0:
        try:
            client.shutdown(nosave=True, now=True, force=True)  # the AOF holds it all
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

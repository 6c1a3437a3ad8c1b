"""The process's single connection to the journal's database server.

One server handle per process, opened on first use and closed once: the embedded server
(``EmbeddedServer``) or, when ``CHARLIE_FALKORDB_URL`` is set, an existing one
(``ExternalServer``). This module only chooses and keeps it; what opening, joining and
closing mean for each kind lives in that kind's class.

A handle inherited through ``fork`` belongs to the parent: the child forgets it (never reuses
or closes its sockets) and opens its own.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

import redis

from charlie_worker.settings import WorkerSettings

from .embedded import EmbeddedServer
from .external import ExternalServer
from .servers import Server

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_server: Server | None = None
_owner_pid: int | None = None
_pools: list[redis.ConnectionPool] = []
_queue_pool: redis.ConnectionPool | None = None


def open_server(settings: WorkerSettings) -> Server:
    """The server the settings name: an external one by URL, else the embedded one."""
    if settings.falkordb_url:
        return ExternalServer.open(settings.falkordb_url)
    return EmbeddedServer.open(settings)


def get_db() -> Server:
    """The process's server handle, opened (and the server started or joined) on first use."""
    global _server, _owner_pid
    with _lock:
        if _server is not None and _owner_pid == os.getpid():
            return _server
        if _server is not None:
            _server.forget()  # inherited through fork: the parent's sockets, not ours
            _reset()
        started = time.perf_counter()
        server = open_server(WorkerSettings())
        _server, _owner_pid = server, os.getpid()
        # Registered after falkordblite's own atexit hook, so it runs first (atexit is LIFO)
        # and a clean exit takes our fast close path instead of its slow one.
        atexit.unregister(close_db)
        atexit.register(close_db)
        elapsed = time.perf_counter() - started
        logger.debug("opened the database (server pid %s) in %.3f s", server.pid, elapsed)
        return server


def get_redis() -> redis.Redis:
    """The decoding (``str``) redis client of the shared connection."""
    return get_db().client


def socket_path() -> str:
    """The unix socket to hand a worker subprocess; "" for an external server."""
    return get_db().socket


def server_pid() -> int:
    """The redis-server's pid (0 if it is gone or not ours): for diagnostics and tests."""
    return get_db().pid


def queue_pool() -> redis.ConnectionPool:
    """The non-decoding pool Huey uses, on the same server; closed with the connection."""
    global _queue_pool
    with _lock:
        server = get_db()
        if _queue_pool is None:
            _queue_pool = server.new_pool()
            _pools.append(_queue_pool)
        return _queue_pool


def track_pool(pool: redis.ConnectionPool) -> None:
    """Have ``close_db()`` disconnect ``pool``: a connection left open keeps the server alive."""
    with _lock:
        if pool not in _pools:
            _pools.append(pool)


def is_open() -> bool:
    """Whether this process currently holds the connection."""
    return _server is not None and _owner_pid == os.getpid()


def server_lost() -> bool:
    """Whether this process's server is gone (SIGKILLed, or stopped by the process that
    started it): every call on the handle now fails. False when nothing is open."""
    with _lock:
        return _server is not None and _owner_pid == os.getpid() and _server.lost()


def reopen_if_lost() -> bool:
    """Start the server again (from its append-only file) if it is gone; True if it was.

    For the app, which owns its worker: a server that died under it is started again and the
    worker restarted on it. Not for a worker, whose queue is bound to the old server's socket:
    it exits instead and is restarted by the app.
    """
    with _lock:
        if not server_lost():
            return False
        logger.warning("the database server is gone; starting it again")
        close_db()  # cleans the dead server's registry and temp dir
        get_db()
        return True


def close_db() -> None:
    """Disconnect, and shut the embedded server down if this process started it (whoever else
    is connected) or holds its last connection.

    Safe to call twice and at exit; a later ``get_db()`` opens again.
    """
    with _lock:
        server, owner, pools = _server, _owner_pid, list(_pools)
        _reset()
        if server is None:
            return
        if owner != os.getpid():
            server.forget()
            return
        server.close(pools)


def _reset() -> None:
    global _server, _owner_pid, _queue_pool
    _server = None
    _owner_pid = None
    _queue_pool = None
    _pools.clear()

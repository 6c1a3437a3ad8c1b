"""The embedded database: one connection per process (``lifecycle``) and the episode queue
state kept in redis hashes (``redis_ops``)."""

from __future__ import annotations

from .lifecycle import (
    SOCKET_ENV,
    close_db,
    get_db,
    get_redis,
    huey_pool,
    is_open,
    select_graph,
    server_pid,
    socket_path,
    track_pool,
)

__all__ = [
    "SOCKET_ENV",
    "close_db",
    "get_db",
    "get_redis",
    "huey_pool",
    "is_open",
    "select_graph",
    "server_pid",
    "socket_path",
    "track_pool",
]

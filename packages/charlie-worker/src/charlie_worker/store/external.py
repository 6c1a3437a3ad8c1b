"""An existing FalkorDB server (``CHARLIE_FALKORDB_URL``): connected to, never started or
stopped by us: for a home server, a shared journal, several worker machines."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from falkordb import FalkorDB as FalkorDBClient
from redislite import Graph


class ExternalServer:
    """A FalkorDB server reached by URL; the same shape as ``EmbeddedServer``."""

    socket = ""
    """Nothing to hand over: a worker reaches the server through ``CHARLIE_FALKORDB_URL``."""
    pid = 0
    """Not our process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = FalkorDBClient.from_url(url)
        self.client: redis.Redis = self._db.connection

    @classmethod
    def open(cls, url: str) -> ExternalServer:
        """Connect and ping, so a wrong URL fails at open with a clear message, not at first
        use. The message names the host but never the password in the URL."""
        try:
            server = cls(url)
            server.client.ping()
        except (redis.RedisError, ValueError) as exc:
            raise ConnectionError(
                f"Cannot reach the FalkorDB server at {redact(url)} "
                f"({scrub(str(exc), url)}). Check CHARLIE_FALKORDB_URL, or unset it to use "
                "the embedded database."
            ) from None  # the cause's text could hold the password
        return server

    def lost(self) -> bool:
        """Never known to be lost: it is not ours to restart, and a client reconnects to it."""
        return False

    def select_graph(self, name: str) -> Graph:
        return self._db.select_graph(name)

    def new_pool(self) -> redis.ConnectionPool:
        """A non-decoding pool (Huey's payloads are pickled bytes) on the same server."""
        return redis.ConnectionPool.from_url(self.url)

    def close(self, pools: list[redis.ConnectionPool]) -> None:
        """Disconnect; the server is not ours to stop."""
        for pool in [*pools, self.client.connection_pool]:
            pool.disconnect()

    def forget(self) -> None:
        """Nothing to neutralise: the server's life is not tied to this handle."""


def scrub(text: str, url: str) -> str:
    """``text`` (an error about ``url``) without the URL's password, wherever it appears: a
    client's parse error can quote any part of the URL."""
    try:
        password = urlsplit(url).password
    except ValueError:  # a URL too broken to split: hide all of it
        return text.replace(url, "<CHARLIE_FALKORDB_URL>")
    return text.replace(password, "***") if password else text


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<CHARLIE_FALKORDB_URL, not a valid URL>"
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))

"""Lua scripts sent to the server once, then run by their digest.

The store's multi-key writes are Lua scripts (atomic), run on every state change and once per
entry of an import; the change log's function alone is ~700 characters. Sent in full with
every EVAL, that text was most of each command. A ``redis.commands.core.Script`` (what redis-py's
``register_script`` returns) runs by EVALSHA instead and sends the text only when the server
answers NOSCRIPT, which a restarted server does (its script cache starts empty); in a pipeline
or a transaction it loads whatever the server lacks just before the pipeline runs, so a
transaction never fails on NOSCRIPT half-way.
"""

from __future__ import annotations

from redis.commands.core import Script


def lua(text: str) -> Script:
    """``text`` as a script to call with ``keys``, ``args`` and ``client`` (a connection, or a
    pipeline or transaction to queue it on), on whichever server that client is connected to.

    Not bound to a client (``register_script``'s client is only its default and its text
    encoder): the process's connection is replaced when the embedded server is started again,
    so every call names its client. The text is encoded here as redis-py's clients encode it
    (UTF-8), which is what its digest is computed over."""
    return Script(None, text.encode())  # type: ignore[arg-type]

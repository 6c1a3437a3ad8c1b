"""The store: what any process may import to use a journal, and nothing that loads a model.

The database connection (``connection``, over an ``embedded`` or ``external`` server), the
graph (``graphs``, ``schema``, ``entries``, ``queries``, ``entities``), entry state in redis
(``episode_state``), the worker's report (``worker_state``), the queue (``queue``), and the
one door an app uses (``journal.Journal``).
"""

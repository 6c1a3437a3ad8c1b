"""The pipeline: what only the worker process loads. The Model Manager (``manager``), reading
an entry (``extraction``, ``resolution``), the task body and hooks (``tasks``) and the
``charlie-worker`` command (``cli``). It builds on the store; the store never imports it."""

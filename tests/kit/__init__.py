"""The test kit ``tests/`` and ``bench/`` share: process and server helpers (``processes``),
a scripted LM (``fake_lm``) and graph seeds written through the real write path (``seeds``).

``tests`` is on pytest's ``pythonpath``; bench scripts put it on ``sys.path`` in ``_common``.
"""

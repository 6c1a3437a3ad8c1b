"""charlie-optimize: tune Charlie's DSPy programs offline, in a clean room.

Imports only charlie-inference (never the worker, its queue or the UI), so an
optimization run cannot touch the journal; the one thing it hands over is a
program state file, which the worker loads on its next model load.
"""

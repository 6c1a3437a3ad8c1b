"""``python -m charlie_worker``: the ``charlie-worker`` command (how the app starts it)."""

import sys

from charlie_worker.pipeline.cli import main

sys.exit(main())

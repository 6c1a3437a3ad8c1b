"""``python -m charlie_inference``: the ``charlie-inference`` command."""

from charlie_inference.cli import main

raise SystemExit(main())

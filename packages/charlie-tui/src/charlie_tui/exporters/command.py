"""``charlie-tui export --format json OUT`` / ``--format markdown OUT_DIR``.

Reads through the store like the app does, so it works whether or not the app is open; what
it writes is the journal as it is at that moment, oldest entry first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from charlie_worker import DEFAULT_JOURNAL, Journal, validate_journal

from . import WRITERS


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="write the whole journal as JSON or as a folder of Markdown files",
        description="Export every entry with its date and the entities found in it, oldest "
        "first. --format markdown writes one file per entry, which `charlie-tui import files` "
        "reads back.",
    )
    parser.add_argument("--format", choices=sorted(WRITERS), required=True)
    parser.add_argument("out", type=Path, metavar="OUT", help="a .json file, or a folder")
    parser.add_argument("--journal", default=DEFAULT_JOURNAL, help="the journal to export")


def run(args: argparse.Namespace) -> int:
    try:
        validate_journal(args.journal)
    except ValueError as exc:
        print(f"charlie-tui export: {exc}", file=sys.stderr)
        return 2
    journal = Journal(args.journal)
    try:
        journal.open()
        rows = list(journal.all_entries())[::-1]  # the list is newest first
    except Exception as exc:
        print(f"charlie-tui export: cannot read the journal: {exc}", file=sys.stderr)
        return 1
    finally:
        journal.close()
    try:
        count = WRITERS[args.format](rows, args.out)
    except OSError as exc:
        print(f"charlie-tui export: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    print(f"exported {count:,} entr{'y' if count == 1 else 'ies'} to {args.out}")
    return 0

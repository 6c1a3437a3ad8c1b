"""``charlie-tui import dayone PATH | files DIR | jrnl FILE [--journal NAME] [--dry-run]``.

The import writes through the store like the app does, so it works whether or not the app is
open: with the app open it joins the app's database server (the embedded server's registry,
taken under its lock, names it) and the app's worker starts on the backlog at once, behind
anything the user writes; with the app closed it starts the server, saves, and shuts it down,
and the worker reads the backlog when the app next starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from charlie_worker import DEFAULT_JOURNAL, Journal, SaveError, validate_journal

from . import READERS
from .runner import Summary, run_import

HELP = {
    "dayone": "a Day One JSON export: the .zip Day One writes, or the .json inside it",
    "files": "a folder of .md and .txt files (recursive; date from front matter, file name, "
    "or modification time)",
    "jrnl": "a jrnl journal: its file (journal.txt) or what `jrnl --export json` writes",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """``import`` and its three formats."""
    parser = commands.add_parser(
        "import",
        help="bring entries in from Day One, a folder of text files or jrnl",
        description="Import entries into a journal. Safe to run again: entries already there "
        "are not added twice. Works whether or not the app is open.",
    )
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    for name, text in HELP.items():
        sub = formats.add_parser(name, help=text, description=f"Import {text}.")
        sub.add_argument("path", type=Path, metavar="DIR" if name == "files" else "PATH")
        sub.add_argument("--journal", default=DEFAULT_JOURNAL, help="the journal to import into")
        sub.add_argument(
            "--dry-run", action="store_true", help="show what would be imported; write nothing"
        )


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    """Run the import; the exit code is 1 only when nothing could be imported."""
    console = console or Console(soft_wrap=True)
    errors = Console(stderr=True)
    try:
        validate_journal(args.journal)
    except ValueError as exc:
        errors.print(f"charlie-tui import: {escape(str(exc))}")
        return 2
    journal = Journal(args.journal)
    try:
        journal.open()
    except Exception as exc:  # the database could not start: nothing to import into
        errors.print(f"charlie-tui import: cannot open the journal: {escape(str(exc))}")
        return 1
    try:
        with _bar(console) as bar:
            items = READERS[args.format](args.path)
            summary = run_import(journal, items, dry_run=args.dry_run, listener=bar)
    except SaveError as exc:
        errors.print(
            f"charlie-tui import: {escape(str(exc))}\nThe entries saved before are kept: run "
            "the same import again to add the rest (it skips what is already there)."
        )
        return 1
    finally:
        journal.close()
    _report(summary, console)
    return summary.exit_code


def _report(summary: Summary, console: Console) -> None:
    for item in summary.skipped:
        console.print(f"[yellow]skipped[/]  {escape(item.where)}: {escape(item.reason)}")
    if summary.dry_run:
        for found in summary.new:
            first = next((line for line in found.text.splitlines() if line.strip()), "")
            console.print(
                f"would import  {found.date.isoformat(timespec='minutes')}  "
                f"{escape(found.where)}  {escape(first[:60])}",
                highlight=False,
            )
    console.print(summary.line(), highlight=False)


class _Bar:
    """The rich progress bar an import draws: items read, then entries saved."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._reading: TaskID = progress.add_task("Reading", total=None)
        self._saving: TaskID | None = None

    def read(self, count: int) -> None:
        self.progress.update(self._reading, completed=count)

    def saving(self, total: int) -> None:
        self.progress.update(self._reading, total=self.progress.tasks[0].completed)
        self._saving = self.progress.add_task("Saving", total=total)

    def saved(self, count: int) -> None:
        if self._saving is not None:
            self.progress.advance(self._saving, count)

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)


def _bar(console: Console) -> _Bar:
    return _Bar(
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
    )

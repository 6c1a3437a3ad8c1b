"""``charlie-tui``: the command line. Bare, it takes the instance lock, logs to a file and runs
the app; ``import`` and ``export`` run without the app (see their modules)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from charlie_worker import WorkerSettings, settings_help

from .app import CharlieApp
from .backup import command as backup_command
from .exporters import command as export_command
from .importers import command as import_command
from .instance import AlreadyOpenError, InstanceLock

APP_LOG = Path("logs") / "charlie-tui.log"

DESCRIPTION = """\
Charlie: a journal in your terminal. Write entries; a local model reads each one in the
background and files the people, places and organisations in it. Nothing leaves your machine.

Keys: ctrl+n new entry, enter open, e edit, d delete, r retry, / search,
p people & places, escape back, ctrl+p all commands, q quit.

`charlie-tui import --help` brings in Day One, jrnl or a folder of text files;
`charlie-tui export --help` writes the journal out as JSON or Markdown; `backup` and
`restore` keep the whole database in one archive."""

FOOTER = """\
The model that reads your entries is set with CHARLIE_LLM_MODEL_PATH (any GGUF; default: the
bundled SmolLM2-135M) or CHARLIE_LLM_API_BASE (a model server); every CHARLIE_LLM_* setting is
listed by `charlie-worker --help`. Only one Charlie can be open per data dir. The worker's log
is <data dir>/logs/worker.log, the app's <data dir>/logs/charlie-tui.log."""


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the app or the command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="charlie-tui",
        description=DESCRIPTION,
        epilog=settings_help(WorkerSettings) + "\n\n" + FOOTER,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    import_command.add_parser(commands)
    export_command.add_parser(commands)
    backup_command.add_parsers(commands)
    args = parser.parse_args(argv)
    try:
        data_dir = WorkerSettings().data_dir
    except ValidationError as exc:
        print(f"charlie-tui: a setting is invalid:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "import":
        return import_command.run(args)
    if args.command == "export":
        return export_command.run(args)
    if args.command == "backup":
        return backup_command.run_backup(args)
    if args.command == "restore":
        return backup_command.run_restore(args)
    return _run_app(data_dir)


def _run_app(data_dir: Path) -> int:
    """Take the instance lock, log to a file, run the app."""
    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
        _log_to_file(data_dir / APP_LOG)
    except AlreadyOpenError as exc:
        print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"charlie-tui: cannot use the data dir {data_dir}: {exc}", file=sys.stderr)
        return 1
    try:
        app = CharlieApp()
        app.run()
    finally:
        lock.release()
    return app.return_code or 0


def _log_to_file(path: Path) -> None:
    """Log to a file: anything written to the terminal would tear through the screen. The log
    quotes entries, so it is private (0600), even if an older version left it readable."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


if __name__ == "__main__":
    sys.exit(main())

"""``charlie-tui``: the command line. Bare, it runs the app at once (the app reads the
settings, takes the instance lock and logs to a file after its first frame, see ``app``);
``import``, ``export``, ``backup`` and ``restore`` run without the app (see their modules).
"""

from __future__ import annotations

import sys

from .app import CharlieApp

DESCRIPTION = """\
Charlie: a journal in your terminal. Write entries; a local model reads each one in the
background and files the people, places and organisations in it. Nothing leaves your machine.

Keys: ctrl+n new entry, enter open, e edit, d delete, r retry, / search,
p people & places, escape back, ctrl+p all commands, q quit. Other keys for any of
them: CHARLIE_KEYS below, or a [keys] table in the settings file.

`charlie-tui import --help` brings in Day One, jrnl or a folder of text files;
`charlie-tui export --help` writes the journal out as JSON or Markdown; `backup` and
`restore` keep the whole database in one archive."""

FOOTER = """\
The model that reads your entries is set with CHARLIE_LLM_MODEL_PATH (any GGUF; default: the
bundled SmolLM2-135M) or CHARLIE_LLM_API_BASE (a model server); every CHARLIE_LLM_* setting is
listed by `charlie-worker --help`. Only one Charlie can be open per data dir. The worker's log
is <data dir>/logs/worker.log, the app's <data dir>/logs/charlie-tui.log."""


def main(argv: list[str] | None = None) -> int:
    """Run the app, or the command named on the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return _run_app()
    return _run_command(argv)


def _run_app() -> int:
    """Run the app; print why it could not start, if it could not."""
    app = CharlieApp(claim=True)
    app.run()
    if app.startup_error:
        print(app.startup_error, file=sys.stderr)
    if app.unsaved:
        print(
            "The entry you were writing could not be saved: the journal did not open. "
            f"Here it is:\n\n{app.unsaved}",
            file=sys.stderr,
        )
    return app.return_code or 0


def _run_command(argv: list[str]) -> int:
    """Parse the command line and run its command. The parser is built only here: its
    settings help and the commands' modules load the store, which the bare app defers."""
    import argparse

    from charlie_worker import settings_help

    from .backup import command as backup_command
    from .exporters import command as export_command
    from .importers import command as import_command
    from .keys import key_ids_help
    from .settings import INVALID_SETTING, AppSettings

    parser = argparse.ArgumentParser(
        prog="charlie-tui",
        description=DESCRIPTION,
        epilog="\n\n".join([settings_help(AppSettings), key_ids_help(), FOOTER]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    import_command.add_parser(commands)
    export_command.add_parser(commands)
    backup_command.add_parsers(commands)
    args = parser.parse_args(argv)
    try:
        AppSettings()
    except INVALID_SETTING as exc:
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
    return _run_app()


if __name__ == "__main__":
    sys.exit(main())

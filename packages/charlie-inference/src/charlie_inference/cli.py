"""``charlie-inference``: get a better model than the built-in one, choose it, and check it.

``models`` lists the catalogue and what is downloaded, ``pull`` fetches one (resumable,
verified), ``use`` records the choice in the settings file every process reads, ``check`` runs
one real extraction on the configured model. Every failure is one line and a non-zero exit;
the built-in model keeps working whatever fails here.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from .catalogue import CATALOGUE, UnknownModelError, find_model
from .download import DownloadError, HubFile, destination, models_dir, pull, resolve
from .loader import ModelLoadError, check_model_file
from .settings import ModelSettings, bundled_model_path
from .settings_file import MODEL_TABLE, SettingsFileError, settings_file_path, write_setting

BUNDLED = "bundled"
MODEL_PATH_ENV = "CHARLIE_LLM_MODEL_PATH"


class CommandError(RuntimeError):
    """A command that cannot do what was asked; the message says what to do instead."""


out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (
        CommandError,
        DownloadError,
        UnknownModelError,
        SettingsFileError,
        ValidationError,
    ) as exc:
        err.print(f"[red]error:[/] {_one_line(exc)}")
        return 1
    except KeyboardInterrupt:
        err.print("Interrupted. A cut download is kept: `pull` again resumes it.")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charlie-inference",
        description="Get, choose and check the model Charlie reads entries with.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    models = commands.add_parser("models", help="list recommended models and downloaded ones")
    models.set_defaults(run=_models)
    fetch = commands.add_parser("pull", help="download a model (resumes a cut download)")
    fetch.add_argument("name", help="a name from `models`, or OWNER/REPO/FILE.gguf")
    fetch.set_defaults(run=_pull)
    use = commands.add_parser("use", help="make a model the one the app, worker and optimizer load")
    use.add_argument("model", help=f"a pulled name from `models`, a GGUF path, or {BUNDLED!r}")
    use.set_defaults(run=_use)
    check = commands.add_parser("check", help="load the configured model and extract once")
    check.set_defaults(run=_check)
    return parser


def _models(_: argparse.Namespace) -> int:
    current = ModelSettings().model_path
    table = Table(title="Recommended models (`charlie-inference pull NAME`)")
    for column in ("name", "repo / file", "size", "RAM", "speed", "here"):
        table.add_column(column)
    for model in CATALOGUE:
        path = destination(HubFile(model.repo, model.file))
        here = ("in use" if path == current else "pulled") if path.exists() else ""
        table.add_row(
            model.name,
            f"{model.repo}\n{model.file}\n[dim]{model.note}[/]",
            f"{model.size_gb:.1f} GB",
            f"{model.ram_gb:.1f} GB",
            model.speed,
            here,
        )
    out.print(table)
    catalogued = {model.file for model in CATALOGUE}
    for path in sorted(models_dir().glob("*.gguf")):
        if path.name not in catalogued:
            out.print(f"also downloaded: {path}")
    if current == bundled_model_path():
        out.print(f"in use: the built-in SmolLM2-135M ({BUNDLED!r}), a smoke-test model")
    else:
        out.print(f"in use: {current}")
    return 0


def _pull(args: argparse.Namespace) -> int:
    # huggingface_hub warns on every retry of a dropped connection; the progress bar shows the
    # resumption, and a failure is our one line, so only its errors are let through.
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()
    hub_file = resolve(args.name)
    target = destination(hub_file)
    if target.exists():
        out.print(f"{target.name} is already downloaded: {target}")
    else:
        out.print(f"Downloading {hub_file.repo}/{hub_file.file} into {target.parent}")
        pull(hub_file)
        out.print(f"Downloaded and verified (size, sha256): {target}")
    out.print(f"Make it Charlie's model with: charlie-inference use {args.name}")
    return 0


def _use(args: argparse.Namespace) -> int:
    if args.model == BUNDLED:
        path = write_setting(MODEL_TABLE, "model_path", None)
        out.print(f"Charlie now reads entries with the built-in SmolLM2-135M (written to {path})")
        return _warn_if_overridden()
    model = _model_file(args.model)
    try:
        check_model_file(model)
    except ModelLoadError as exc:
        raise CommandError(
            f"{model} cannot be used: {exc.reason}. Give a GGUF model file."
        ) from exc
    path = write_setting(MODEL_TABLE, "model_path", str(model))
    out.print(f"Charlie now reads entries with {model.name} (written to {path})")
    out.print(
        "The app and worker load it on their next model load; `charlie-inference check` tries it."
    )
    return _warn_if_overridden()


def _model_file(spec: str) -> Path:
    """A catalogue name must have been pulled; anything else is a path."""
    try:
        model = find_model(spec)
    except UnknownModelError:
        path = Path(spec).expanduser()
        if path.exists() or "/" in spec or spec.lower().endswith(".gguf"):
            return path.resolve()
        raise
    target = destination(HubFile(model.repo, model.file))
    if not target.exists():
        raise CommandError(
            f"{model.name} is not downloaded yet: run `charlie-inference pull {spec}`."
        )
    return target


def _warn_if_overridden() -> int:
    if os.environ.get(MODEL_PATH_ENV):
        err.print(
            f"[yellow]note:[/] {MODEL_PATH_ENV} is set in this environment and wins over the "
            "settings file: unset it for the choice to apply."
        )
    return 0


def _check(_: argparse.Namespace) -> int:
    from .smoke import run_check  # loads dspy and llama.cpp: only this command needs them

    settings = ModelSettings()
    out.print(f"settings file: {settings_file_path()}")
    out.print(f"model: {settings.api_base or settings.model_path}")
    report = run_check(settings)
    out.print(f"load: {report.load_s:.2f} s, extraction: {report.extract_s:.2f} s")
    out.print(f"prompt: {report.prompt_tokens} tokens{_per_s(report.prompt_tps)}")
    out.print(f"decode: {report.decode_tokens} tokens{_per_s(report.decode_tps)}")
    out.print(f"peak RSS: {report.peak_rss_mb:.0f} MB")
    found = ", ".join(f"{e.name} ({e.type})" for e in report.entities) or "none"
    out.print(f"entities: {found}")
    return 0


def _per_s(rate: float | None) -> str:
    return f", {rate:.1f} tokens/s" if rate is not None else ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())

"""Run the real worker or the app's command line and SIGKILL it at one chosen step.

``python -m kit.crash STEP [--fake-lm] [--chunk N] worker|tui|exec ARGS...``

The product has no test hooks: this launcher wraps the one function at which ``STEP`` happens
(``STEPS`` says which) so that the process kills itself there with SIGKILL, as a power cut or
the OOM killer would, and then hands over to the real entry point: ``worker`` runs
``charlie_worker.pipeline.cli.main(ARGS)``, ``tui`` runs ``charlie_tui.cli.main(ARGS)``, and
``exec`` runs the Python code ``ARGS[0]`` with ``sys.argv[1:]`` the rest (a correction, as
the app makes it). ``none`` kills nowhere: the restart after a crash, on the same fakes.

``--fake-lm`` makes the worker read with ``kit.fake_lm``'s scripted model (``NAMES`` types the
names no rule can), so a crash test spends its time on the crash, not on generation.
``--chunk N`` saves imports ``N`` entries per bulk write, so a small import has several.
``tests`` must be on ``PYTHONPATH``: start the command with ``env()``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kit.fake_lm import ScriptedLM, by_text, types_answer

TESTS = Path(__file__).resolve().parents[1]

NAMES = {
    "Zorba": types_answer(("Zorba", "Place")),
    "Kestrel": types_answer(("Kestrel Hall", "Organization")),
    "Quillon": types_answer(("Quillon", "Organization")),
    "Marrowby": types_answer(("Marrowby", "Place")),
}
"""What the fake model answers for an entry naming each key: names no rule types, so an entry
holding one makes a model call."""


def die() -> None:
    """Die at once, with no cleanup of any kind (no atexit, no finally, no flush)."""
    os.kill(os.getpid(), signal.SIGKILL)


def _wrap(
    owner: Any,
    name: str,
    *,
    before: bool = False,
    nth: int = 1,
    when: Callable[..., bool] = lambda *args, **kwargs: True,
) -> None:
    """Replace ``owner.name`` by a function that dies on its ``nth`` call for which ``when``
    holds: ``before`` calling the original, or once it returned."""
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        hit = when(*args, **kwargs) and (calls := calls + 1) == nth
        if hit and before:
            die()
        result = original(*args, **kwargs)
        if hit:
            die()
        return result

    setattr(owner, name, wrapper)


def _die_in_generation() -> None:
    """Inside the model call: a real llama.cpp model dies once its first batch is evaluated
    (the prompt read, the answer not yet made: under the grammar or at its choices alike);
    the fake one when it is asked."""
    import llama_cpp

    from kit.fake_lm import ScriptedEngine

    original = llama_cpp.Llama.eval

    @functools.wraps(original)
    def evaluate_then_die(self: Any, tokens: Any) -> None:
        original(self, tokens)
        die()

    llama_cpp.Llama.eval = evaluate_then_die
    _wrap(ScriptedEngine, "complete", before=True)


def _die_with_query_unanswered(inside: str, marker: str) -> None:
    """While ``inside`` (``module:function``) runs: die the moment a graph write whose Cypher
    holds ``marker`` is sent to the server, before its answer is read (the server has it)."""
    import redis.connection

    module_name, function = inside.split(":")
    module = importlib.import_module(module_name)
    active = False
    send = redis.connection.AbstractConnection.send_command

    def send_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        send(self, *args, **kwargs)
        if active and args[0] == "GRAPH.QUERY" and marker in str(args[2]):
            die()

    original = getattr(module, function)

    @functools.wraps(original)
    def within(*args: Any, **kwargs: Any) -> Any:
        nonlocal active
        active = True
        try:
            return original(*args, **kwargs)
        finally:
            active = False

    redis.connection.AbstractConnection.send_command = send_command
    setattr(module, function, within)


def _at(target: str, **how: Any) -> Callable[[], None]:
    """The step of dying at ``module:attribute.path`` (``how``: ``_wrap``'s options)."""

    def install() -> None:
        module, path = target.split(":")
        owner = importlib.import_module(module)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        _wrap(owner, name, **how)

    return install


def _is_db_member(archive: Any, info: Any, *rest: Any) -> bool:
    return info.name == "db/charlie.db"


def _is_partial(path: Path, *rest: Any) -> bool:
    return path.suffix == ".partial"


STEPS: dict[str, Callable[[], None]] = {
    "none": lambda: None,
    # The worker reading an entry, in order.
    "claim": _at("charlie_worker.pipeline.tasks:mark_episode_processing"),
    "model_call": _die_in_generation,
    "before_write": _at("charlie_worker.pipeline.extraction:file_mentions", before=True),
    "inside_write": lambda: _die_with_query_unanswered(
        "charlie_worker.pipeline.extraction:file_mentions", "MENTIONS"
    ),
    "after_write": _at("charlie_worker.pipeline.tasks:finish_episode", before=True),
    # An import of several bulk writes: the second one's pending marks written, its entries
    # not yet; or the second chunk saved, nothing queued.
    "import_marks": _at("charlie_worker.store.entries:mark_new_pending", nth=2),
    "import_chunk": _at("charlie_worker.store.imports:add_entries", nth=2),
    # A backup: the server forking its snapshot; the manifest in the archive, the database
    # not yet; the archive complete under its temporary name.
    "backup_snapshot": _at("charlie_worker.store.snapshots:_bgsave"),
    "backup_archive": _at("tarfile:TarFile.addfile", before=True, when=_is_db_member),
    "backup_rename": _at("pathlib:Path.replace", before=True, when=_is_partial),
    # A restore: the archive unpacked, the database not yet put in place.
    "restore_unpacked": _at("charlie_tui.backup.archive:restore_snapshot", before=True),
    # A correction: before its query reaches the server, or after, its answer unread.
    "correction_unsent": _at("charlie_worker.store.corrections:_one", before=True),
    "correction_sent": lambda: _die_with_query_unanswered(
        "charlie_worker.store.corrections:_one", ""
    ),
}
"""Where a process can be killed: each installs its hook before the program starts."""

WORKER_STEPS = ("claim", "model_call", "before_write", "inside_write", "after_write")


def command(
    step: str, program: str, *args: str, fake_lm: bool = False, chunk: int | None = None
) -> list[str]:
    """The command line that runs ``program`` with ``args``, killed at ``step``."""
    options = [*(["--fake-lm"] if fake_lm else []), *([f"--chunk={chunk}"] if chunk else [])]
    return [sys.executable, "-m", "kit.crash", step, *options, program, *args]


def env() -> dict[str, str]:
    """This process's environment with ``kit`` importable: for the commands of ``command``."""
    paths = [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def reads(log: Path, episode_uuid: str) -> int:
    """How many times the workers logging to ``log`` finished reading the entry."""
    return len(re.findall(rf"entry {episode_uuid}: ExtractResult", log.read_text()))


def still_to_do() -> list[str]:
    """Redis keys besides the graphs and the worker's status: an entry's hash, a queued or
    scheduled task, a lease or claim of a dead worker. After a drained backlog: none."""
    from charlie_worker.settings import DEFAULT_JOURNAL
    from charlie_worker.store import changes, worker_state
    from charlie_worker.store.connection import get_redis
    from charlie_worker.store.graphs import graph_name

    # The change log (a counter and a capped stream) is the journal's, not work to do.
    permanent = {
        worker_state.STATUS_KEY,
        graph_name(DEFAULT_JOURNAL),
        changes.VERSION_KEY,
        changes.LOG_KEY,
    }
    return sorted(
        key
        for key in get_redis().scan_iter(count=1000)
        if key not in permanent and not key.startswith("telemetry{")  # FalkorDB's own stream
    )


def _use_fake_lm() -> None:
    from charlie_worker.pipeline import manager

    manager.load_llm = lambda: ScriptedLM(by_text(NAMES))


def _small_chunks(size: int) -> None:
    from charlie_worker.store import entries, imports

    entries.BULK_CHUNK = imports.BULK_CHUNK = size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.crash", description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--fake-lm", action="store_true")
    parser.add_argument("--chunk", type=int)
    parser.add_argument("program", choices=("worker", "tui", "exec"))
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    if ns.fake_lm:
        _use_fake_lm()
    if ns.chunk:
        _small_chunks(ns.chunk)
    STEPS[ns.step]()
    if ns.program == "worker":
        from charlie_worker.pipeline.cli import main as worker_main

        return worker_main(ns.args)
    if ns.program == "tui":
        from charlie_tui.cli import main as tui_main

        return tui_main(ns.args)
    sys.argv = ["-c", *ns.args[1:]]
    exec(ns.args[0], {"__name__": "__crash__", "sys": sys})
    return 0


if __name__ == "__main__":
    sys.exit(main())

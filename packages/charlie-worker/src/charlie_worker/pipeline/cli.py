"""``charlie-worker``: the Huey consumer that reads journal entries with the local model.

One thread worker (``-k thread -w 1``): models stay resident across a backlog and are only
ever touched from that one thread. SIGTERM and SIGINT both stop gracefully (the running task
finishes, or stays pending and is recovered on the next start). A worker whose database server
is gone (killed, or stopped by the process that started it) stops with ``EXIT_SERVER_LOST``:
its queue is bound to that server, so the app starts the server again and then a new worker.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import redis
from huey.consumer import Consumer

from charlie_inference import ModelSettings
from charlie_worker.settings import WorkerSettings, settings_help
from charlie_worker.store import worker_state as status
from charlie_worker.store.connection import close_db, get_db, server_lost
from charlie_worker.store.queue import bind_queue, requeue_pending

from . import tasks  # noqa: F401  (installs the reader and the Manager's hooks)

logger = logging.getLogger("charlie_worker")

LOW_NICE = 10
IDLE_NICE = 19
GRACEFUL_TIMEOUT_S = 60.0
AUTOGROUP = Path("/proc/self/autogroup")
AUTOGROUP_TRIES = 20
"""The kernel takes one autogroup change every 100 ms from all unprivileged processes: 2 s."""


class GracefulConsumer(Consumer):
    """Huey's consumer with SIGINT as graceful as SIGTERM (Huey makes one of them abrupt)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._signal_actions[signal.SIGINT] = (False, True)
        self._signal_actions[signal.SIGTERM] = (False, True)


def _watch(parent_pid: int | None, stop: threading.Event, lost: threading.Event) -> None:
    """Heartbeat for the UI, and a graceful exit of our own once the parent app or the
    database server is gone (``lost`` is set for the latter)."""
    while not stop.wait(status.HEARTBEAT_S):
        if server_lost():
            logger.error("the database server is gone; stopping (the app starts it again)")
            lost.set()
            os.kill(os.getpid(), signal.SIGTERM)
            return
        try:
            status.heartbeat()
        except Exception:  # the server is going away; the consumer will notice too
            logger.debug("heartbeat failed", exc_info=True)
        if parent_pid is not None and os.getppid() != parent_pid:
            logger.warning("parent %d is gone; stopping", parent_pid)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _parse(argv: list[str] | None, settings: WorkerSettings) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="charlie-worker",
        description=(
            "Read Charlie journal entries in the background: extract the people, places and "
            "things in each pending entry with the local model and file them in the graph. "
            "The app starts this for you; run it yourself to process a journal without the app."
        ),
        epilog=settings_help(WorkerSettings, ModelSettings),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-file", type=Path, help="append logs to this file instead of standard error"
    )
    parser.add_argument(
        "--parent-pid",
        type=int,
        default=settings.parent_pid,
        help=f"exit when this process is gone (default: ${WorkerSettings.env_name('parent_pid')},"
        " else never)",
    )
    parser.add_argument(
        "--priority",
        choices=["idle", "low", "normal"],
        default=settings.worker_priority,
        help="CPU priority, so the app stays responsive while the model reads: idle (only "
        f"spare CPU time), low (nice {LOW_NICE}) or normal (default: "
        f"${WorkerSettings.env_name('worker_priority')}, else {settings.worker_priority})",
    )
    parser.add_argument(
        "--graceful-timeout",
        type=float,
        default=GRACEFUL_TIMEOUT_S,
        help="seconds a stop waits for the running task before leaving it pending (default 60)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def _setup_logging(log_file: Path | None, verbose: bool) -> None:
    if log_file:
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def lower_priority(priority: str) -> None:
    """Lower this process's CPU priority before any thread starts: on Linux a thread's
    policy and niceness are its own, and the threads started later (Huey's worker thread,
    llama.cpp's) inherit them. The session's scheduling group goes down with it."""
    if priority == "normal":
        return
    lower_session_group(IDLE_NICE if priority == "idle" else LOW_NICE)
    if priority == "idle" and hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    os.nice(LOW_NICE if priority == "low" else IDLE_NICE)


def lower_session_group(nice: int) -> None:
    """Give this session's autogroup the niceness ``nice``, if the worker leads its session.

    With autogroups (Linux's default on desktops: ``kernel.sched_autogroup_enabled``) the CPU
    is shared between sessions first, evenly, and only then between the threads of a session
    by their policy and niceness. The app starts the worker in a session of its own, so
    SCHED_IDLE alone put it behind nothing but itself: against the app it had an even share
    of a core, and a key press waited in the run queue while the model ran (bench
    ui_latency: the slow presses queued for as long as the worker ran meanwhile). A worker
    run from a shell shares the shell's session and leaves it alone: the group is the whole
    terminal's.
    """
    if os.getsid(0) != os.getpid():
        return
    for _ in range(AUTOGROUP_TRIES):
        try:
            AUTOGROUP.write_text(f"{nice}\n")
            return
        except BlockingIOError:
            time.sleep(0.1)
        except OSError as exc:  # no autogroups here (or not Linux): nothing to lower
            logger.debug("autogroup not lowered: %s", exc)
            return
    logger.warning("autogroup not lowered: the kernel kept refusing the change")


def _which_model() -> dict[str, str]:
    """The model this worker will read with, for the app to show ("" if the settings are
    invalid: loading it reports why)."""
    from charlie_inference import ModelSettings, bundled_model_path

    try:
        model = ModelSettings()
    except ValueError:
        return {"model_name": "", "builtin": "0"}
    builtin = model.api_base is None and model.model_path == bundled_model_path()
    return {"model_name": model.model_name, "builtin": "1" if builtin else "0"}


def main(argv: list[str] | None = None) -> int:
    settings = WorkerSettings()
    args = _parse(argv, settings)
    # Everything the worker writes (its log quotes entries and model output) is private: 0600.
    os.umask(0o077)
    _setup_logging(args.log_file, args.verbose)
    lower_priority(args.priority)
    get_db()  # attaches to the app's server ($CHARLIE_REDIS_SOCKET / registry) or starts one
    logger.info("worker %d on %s", os.getpid(), settings.redis_socket or "its own server")
    stop, lost = threading.Event(), threading.Event()
    try:
        _consume(args, stop, lost)
    except redis.ConnectionError:
        if not server_lost():
            raise
        lost.set()  # gone while the worker was starting or stopping
    finally:
        stop.set()  # the model was closed by the worker thread's shutdown hook
        try:
            if not lost.is_set():
                status.publish(state="stopped", model="")
                status.drop_lease()
        finally:
            close_db()
    if lost.is_set():
        logger.error("worker %d stopped: its database server is gone", os.getpid())
        return status.EXIT_SERVER_LOST
    logger.info("worker %d stopped", os.getpid())
    return 0


def _consume(args: argparse.Namespace, stop: threading.Event, lost: threading.Event) -> None:
    """Recover what a previous worker left, then consume until a stop signal."""
    status.clear()
    status.publish(state="running", pid=os.getpid(), model="", error="", **_which_model())
    status.heartbeat()
    requeue_pending()
    watcher = threading.Thread(target=_watch, args=(args.parent_pid, stop, lost), daemon=True)
    watcher.start()
    consumer = GracefulConsumer(
        bind_queue(),
        workers=1,
        worker_type="thread",
        periodic=True,  # the sweep (tasks.sweep_lost_entries)
        flush_locks=True,
        shutdown_timeout=args.graceful_timeout,
    )
    consumer.run()


if __name__ == "__main__":
    sys.exit(main())

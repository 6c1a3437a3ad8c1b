"""The journal app. It owns the database and runs the worker beside it.

Startup draws first: the entry list, its keys (off until the journal opens, but for a new
entry, which can be written at once and is saved once it has) and "Opening the journal…" are
on screen before anything of the store is imported. After the first frame a
thread reads the settings, takes the data dir (instance lock, log file; ``claim``), imports
the store and opens the database, then starts the worker subprocess on the database's
server. While running: a timer polls the worker's report, the queue's counts and the
journal's change version from a thread once a second; only when the version moved does it
read what changed, and the screen refreshes just that. Quit (q, ctrl+q, SIGTERM, SIGHUP):
stop the worker gracefully, close the database, exit. A terminal that is gone (SIGHUP, or
its hang-up seen by the app's watch on it: see ``terminal``) is left without Textual's
teardown, which would block forever on it with the journal still locked.

Only the entry list is imported with the app; every other screen is imported by the method
that opens it. Importing them all up front (the editor's ``TextArea``, the dialogs, the worker
log's ``Log``) cost ~60 ms before the first frame (~20 ms with compiled bytecode), a third of
what Charlie's start cost over a bare Textual app's (bench ``ui_start``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, cast

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from . import terminal, timer_fix
from .background import run_blocking
from .collector import IdleCollector
from .commands import CharlieCommands
from .formatting import Clock, local_now, plural
from .keys import key_text, keymap_problems, press
from .messages import (
    Closed,
    Correct,
    Corrected,
    DatabaseFailed,
    DatabaseOpened,
    DeleteEntry,
    EditEntry,
    EntryDeleted,
    EntryRetried,
    FailedRetried,
    OpenEntity,
    OpenEntry,
    OperationFailed,
    Polled,
    PollFailed,
    ReadingToggled,
    RetryEntry,
    StartupFailed,
    Undone,
)
from .runtime import JournalOpening, Runtime, StartupError
from .screens.base import SCREENS_CSS, DataScreen, JournalScreen
from .screens.entries import EntriesScreen
from .widgets.status_bar import StatusView
from .worker_process import GRACEFUL_TIMEOUT_S

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from charlie_worker import Curation, Journal, Undo

    from .importers.runner import Summary

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
HANGUP_EXIT_CODE = 128 + signal.SIGHUP
SETTLE_TICK_S = 0.02
SETTLE_CPU_S = 0.002
SETTLE_TIMEOUT_S = 1.0
"""The first frame settles (the footer's keys drawn) within a few ticks; never wait longer."""
JOURNAL_ACTIONS = frozenset(
    {"new_entry", "search", "entities", "home", "import", "blocked", "undo", "worker_log"}
)
"""The app's actions that need a journal screen in front."""
READING_ACTIONS = JOURNAL_ACTIONS - {"new_entry"}
"""Of those, the ones off until the journal is open. Writing a new entry is not: the user
can start at once, and the editor saves once the journal is open (``EditorScreen``)."""


async def _settled(timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Return once this process has stopped working hard (its pending refreshes are drawn):
    less than ``SETTLE_CPU_S`` of CPU in a ``SETTLE_TICK_S`` sleep, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cpu = time.process_time()
        await asyncio.sleep(SETTLE_TICK_S)
        if time.process_time() - cpu < SETTLE_CPU_S:
            return


SERVER_RESTARTED = (
    "The database server stopped unexpectedly. Charlie started it again; every saved entry "
    "is there, and the worker picks up where it was."
)


class CharlieApp(App[None]):
    """The journal. ``start_worker=False`` runs without the background worker (tests, or a
    worker you run yourself); ``clock`` pins "now" for the relative times shown; ``journal``
    names the journal (None: the default one); ``claim`` takes the data dir for this app
    (the instance lock and the log file, as the command line does)."""

    CSS_PATH = "charlie.tcss"
    TITLE = "Charlie"
    COMMANDS: ClassVar = App.COMMANDS | {CharlieCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "new_entry", "New entry", id="new-entry"),
        Binding("p", "entities", "People & places", id="entities"),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    status_view: reactive[StatusView] = reactive(StatusView, always_update=False)

    def __init__(
        self,
        *,
        start_worker: bool = True,
        clock: Clock = local_now,
        journal: str | None = None,
        poll_interval: float = POLL_INTERVAL_S,
        graceful_timeout: float = GRACEFUL_TIMEOUT_S,
        claim: bool = False,
    ) -> None:
        super().__init__()
        timer_fix.install()  # frames on time after a poll's frame (Textual 8.2.8's timers)
        self.journal = cast("Journal", JournalOpening())
        """The open journal; until then a stand-in that says it is not open."""
        self.runtime = Runtime(
            journal, start_worker=start_worker, graceful_timeout=graceful_timeout, claim=claim
        )
        self.startup_error = ""
        """Why the app could not start on its data dir (for the command line to print)."""
        self.unsaved = ""
        """An entry written while the journal was opening, when it never opened: it could not
        be saved, so the command line prints it rather than lose it."""
        self.clock = clock
        self.poll_interval = poll_interval
        self._poll_timer: Timer | None = None
        self._poll_worker: Worker[None] | None = None
        self._version: int | None = None
        """The journal's change version the screens show (None before the first poll)."""
        self._model_error = ""
        self._undo: Undo | None = None
        """The last correction's inverse, offered until the next correction or its undo."""
        self._quitting = False
        self._leaving = threading.Lock()
        """Held once leaving without the terminal (``_leave_without_terminal``) has begun:
        a hang-up's SIGHUP and its watch may both ask."""
        self._hang_up_watch: terminal.HangUpWatch | None = None
        self._asking_to_quit = False
        self._clashes_told: set[tuple[str, str]] = set()
        """The keys whose loss to the user's keys was shown (``handle_bindings_clash``)."""
        self._exit_code = 0
        self._previous_sighup = signal.getsignal(signal.SIGHUP)
        self._collector = IdleCollector()
        self.set_reactive(CharlieApp.status_view, StatusView(manages_worker=start_worker))

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> Screen:
        return EntriesScreen(self.journal, self.clock)

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.call_next, self.shut_down)
        signal.signal(signal.SIGHUP, self._hang_up)
        if not self.is_headless:  # Textual draws on stderr
            self._hang_up_watch = terminal.HangUpWatch(sys.__stderr__, self._leave_without_terminal)
            self._hang_up_watch.start()

    def on_ready(self) -> None:
        """The first frame is on screen; the footer draws its keys a refresh or two later.
        Open the journal once that is done: importing the store's stack meanwhile would hold
        the keys back (the import and the drawing share one GIL)."""
        self.run_worker(self._open_when_drawn(), group="settle", exit_on_error=False)

    async def _open_when_drawn(self) -> None:
        await _settled()
        if not self._quitting:
            self._show_list()
            self._read_screens_css()
            run_blocking(self, self._open, group="open")

    def _show_list(self) -> None:
        """The entry list under the first frame's header (``EntriesScreen.show_body``)."""
        first = self.screen_stack[0] if self.screen_stack else None
        if isinstance(first, EntriesScreen):
            first.show_body()

    def _read_screens_css(self) -> None:
        """Read the other screens' styles (``SCREENS_CSS``), as Textual would when one of
        them is first shown, but parsing only that file: Textual parses every source again
        then (~20 ms). Every screen but the entry list opens on the open journal, so after
        this."""
        if not self.stylesheet.has_source(str(SCREENS_CSS)):
            self.stylesheet.read(SCREENS_CSS)
            self.stylesheet.parse()

    def _open(self) -> DatabaseOpened | DatabaseFailed | StartupFailed:
        try:
            journal = self.runtime.open()
        except StartupError as exc:
            return StartupFailed(str(exc), exc.exit_code)
        except Exception as exc:
            logger.exception("cannot open the journal")
            return DatabaseFailed(str(exc) or type(exc).__name__)
        keymap = self.runtime.keys
        return DatabaseOpened(journal, keymap_problems(keymap) if keymap else [])

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._collector.input_seen()  # every key and mouse event comes here first
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A key that needs the journal is off while it opens: pressed then, it says why."""
        if self.status_view.database != "opening":
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.binding.action in READING_ACTIONS:
            self.notify("One moment: Charlie is opening your journal.", timeout=3)

    def on_startup_failed(self, message: StartupFailed) -> None:
        self.startup_error = message.error
        self.unsaved = self._draft()
        self.exit(return_code=message.exit_code)

    def on_database_opened(self, message: DatabaseOpened) -> None:
        self.journal = message.journal
        for screen in self.screen_stack:  # the first screens came before the journal
            if isinstance(screen, JournalScreen):
                screen.use_journal(message.journal)
        self.status_view = replace(self.status_view, database="open")
        self._use_keys(self.runtime.keys, message.key_problems)
        # What the app holds by now (Textual, the store's stack: ~140k objects) lives as long
        # as it does: kept out of the collector's full passes, which otherwise walk it all
        # and stall a key press for ~0.1 s now and then (bench ui_latency).
        gc.freeze()
        self._collector.start()  # and the full passes of what comes later wait for a pause
        self._poll()
        self._poll_timer = self.set_interval(self.poll_interval, self._poll)
        self.refresh_bindings()
        self._reload_screen()

    def _use_keys(self, keymap: dict[str, str], problems: list[str]) -> None:
        """The user's keys from now on (the settings are read with the journal); those that
        would not work as written are named, rather than leave a key press doing nothing, or
        something else, unexplained."""
        if keymap:
            self.set_keymap(keymap)
        if problems:
            lines = "\n".join(f"• {problem}" for problem in problems)
            self._warn_about_keys(f"Some keys in your settings will not work as written:\n{lines}")

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: DOMNode) -> None:
        """A key of the user's was another command's key too: the user's wins (Textual's
        rule), and the command that lost it is named once."""
        for binding in clashed_bindings:
            key = key_text(binding)
            if (key, binding.description) not in self._clashes_told:
                self._clashes_told.add((key, binding.description))
                self._warn_about_keys(
                    f"{key} now runs the command your settings gave it; "
                    f"{binding.description} has no {key} any more."
                )

    def _warn_about_keys(self, text: str) -> None:
        """A warning about the user's keys, up long enough to read and act on."""
        self.notify(text, title="Keys", severity="warning", timeout=15)

    def on_database_failed(self, message: DatabaseFailed) -> None:
        self.status_view = replace(self.status_view, database="failed")
        self._exit_code = 1
        from .screens.problem import ProblemScreen

        self.push_screen(
            ProblemScreen(
                "Charlie could not open your journal.",
                f"{message.error}\n\nData dir: {self.runtime.data_dir}\n"
                "Check that the disk is not full and that the folder is yours, then start "
                "Charlie again. Details are in logs/charlie-tui.log in the data dir."
                + (
                    "\n\nThe entry you were writing is printed in the terminal when you quit."
                    if self._draft()
                    else ""
                ),
            )
        )

    async def action_quit(self) -> None:
        """Quit (q, ctrl+q, the palette), after asking if a draft would be lost."""
        # A journal that is not open cannot take the draft: it is handed back on the way out.
        if not self.journal.is_open or not self._draft():
            self.shut_down()
            return
        if self._asking_to_quit:
            return
        self._asking_to_quit = True

        def answered(quit_anyway: bool | None) -> None:
            self._asking_to_quit = False
            if quit_anyway:
                self.shut_down()

        from .screens.confirm import ConfirmScreen

        question = "Quit without saving the entry you are writing?"
        self.push_screen(ConfirmScreen(question, "Quit"), answered)

    def shut_down(self) -> None:
        """Stop the worker gracefully and close the database off the loop, then exit."""
        if self._quitting:
            return
        self._quitting = True
        if not self.journal.is_open:
            self.unsaved = self._draft()
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self.status_view = replace(self.status_view, database="closing")
        run_blocking(self, self._close, group="close")

    def _draft(self) -> str:
        """The text of an entry being written and not saved, if any."""
        from .screens.editor import EditorScreen  # loaded already if an editor is open

        editors = (s for s in self.screen_stack if isinstance(s, EditorScreen) and s.is_mounted)
        return next((editor.typed for editor in editors if editor.has_changes), "")

    def _close(self) -> Closed:
        try:
            self.runtime.close()
        except Exception:
            logger.exception("closing failed")
        return Closed()

    def on_closed(self) -> None:
        self.exit(return_code=self._exit_code)

    def on_unmount(self) -> None:
        """Whatever way the app ended, leave no worker and no database server behind."""
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGHUP, self._previous_sighup)
        if self._hang_up_watch is not None:
            self._hang_up_watch.stop()
        self._collector.stop()
        gc.unfreeze()  # an app run inside a longer process (tests) gives its objects back
        self.runtime.close()

    def _hang_up(self, signum: int, frame: object) -> None:
        """The terminal is gone (SIGHUP)."""
        self._leave_without_terminal()

    def _leave_without_terminal(self) -> None:
        """Stop the worker, close the database, and leave, with the terminal gone.

        Not through ``exit()``: Textual's output thread dies on the closed terminal, and
        restoring the terminal then blocks forever on its full queue. The cleanup runs in a
        thread because the event loop may already be stuck on such a write.
        """
        if not self._leaving.acquire(blocking=False):
            return
        threading.Thread(target=self._exit_without_terminal, name="charlie-leave").start()

    def _exit_without_terminal(self) -> None:
        try:
            self.runtime.close()
        except Exception:
            logger.exception("closing without a terminal failed")
        finally:
            logging.shutdown()
            os._exit(HANGUP_EXIT_CODE)

    # ------------------------------------------------------------------ polling

    def _poll(self) -> None:
        """Start a poll unless one is still running: a new one would cancel it, and polls
        slower than the interval (a database busy with the worker's writes) would then never
        report at all."""
        self._collector.tick()
        running = self._poll_worker is not None and not self._poll_worker.is_finished
        if not self._quitting and not running:
            self._poll_worker = run_blocking(self, self._poll_once, group="poll")

    def _poll_once(self) -> Polled | PollFailed:
        """The snapshot, and what changed since the version shown when it moved: the cost of
        a tick is the same for ten entries or ten thousand."""
        try:
            snapshot = self.runtime.poll()
            since = self._version
            moved = since is not None and snapshot.queue.version != since
            return Polled(snapshot, self.journal.changes(since) if moved else None)
        except Exception as exc:
            logger.warning("poll failed: %s", exc)
            return PollFailed(str(exc) or type(exc).__name__)

    def on_polled(self, message: Polled) -> None:
        if self._quitting:
            return
        snapshot = message.snapshot
        self.status_view = replace(self.status_view, snapshot=snapshot, problem="")
        if snapshot.server_restarted:
            self.notify(SERVER_RESTARTED, title="Database restarted", severity="warning")
        error = snapshot.worker.error
        if error and error != self._model_error:
            self.notify(error, title="The model could not be loaded", severity="error", timeout=15)
        self._model_error = error
        changes = message.changes
        if self._version is None:
            self._version = snapshot.queue.version  # the screens loaded after it
        elif changes is not None and changes.version != self._version:
            self._version = changes.version
            if self.screen_stack and isinstance(self.screen, DataScreen):
                self.screen.journal_changed(changes)

    def on_poll_failed(self, message: PollFailed) -> None:
        if not self._quitting:
            self.status_view = replace(self.status_view, problem=message.error)

    def _reload_screen(self, focus: str | None = None) -> None:
        """Reload the screen in front; the others reload when they come back to the front.
        (A poll answered while the app is being torn down finds no screen at all.)"""
        if self.screen_stack and isinstance(self.screen, DataScreen):
            self.screen.reload(focus)

    # ------------------------------------------------------------------ navigation

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in JOURNAL_ACTIONS:
            if not isinstance(self.screen, DataScreen):
                return False
            if action == self.screen.OPENED_BY:
                return False  # in front already
            if action == "home" and len(self.screen_stack) == 1:
                return False
            if action == "undo" and self._undo is None:
                return False
            if action in READING_ACTIONS and not self.journal.is_open:
                return None  # shown but off: the journal is opening (the status bar says so)
        if action in ("pause_reading", "resume_reading", "retry_failed"):
            snapshot = self.status_view.snapshot
            if not self.journal.is_open or snapshot is None:
                return False
            if action == "retry_failed":
                return snapshot.queue.failed > 0
            return snapshot.paused == (action == "resume_reading")
        return True

    def action_new_entry(self) -> None:
        from .screens.editor import EditorScreen

        self.push_screen(EditorScreen(self.journal, self.clock), self._saved)

    def action_entities(self) -> None:
        from .screens.entities import EntitiesScreen

        self.push_screen(EntitiesScreen(self.journal, self.clock))

    def action_import(self, kind: str) -> None:
        from .screens.importing import ImportScreen  # its importers load the store

        self.push_screen(ImportScreen(self.journal, kind), self._imported)

    def _imported(self, summary: Summary | None) -> None:
        if summary is None:
            return
        skipped = "; ".join(f"{s.where}: {s.reason}" for s in summary.skipped[:3])
        more = f" (and {len(summary.skipped) - 3} more)" if len(summary.skipped) > 3 else ""
        self.notify(
            summary.line().capitalize() + (f"\nSkipped {skipped}{more}" if skipped else ""),
            title="Import",
            severity="information" if summary.exit_code == 0 else "warning",
            timeout=8,
        )

    def action_worker_log(self) -> None:
        from .screens.worker_log import WorkerLogScreen

        self.push_screen(WorkerLogScreen(self.journal, self.clock, self.runtime.log_path))

    def action_blocked(self) -> None:
        from .screens.blocked import BlockedScreen

        self.push_screen(BlockedScreen(self.journal, self.clock))

    def action_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_search(self) -> None:
        self.action_home()
        entries = self.screen_stack[0]
        if isinstance(entries, EntriesScreen):
            entries.action_search()

    def on_open_entry(self, message: OpenEntry) -> None:
        from .screens.entry import EntryScreen

        self.push_screen(EntryScreen(self.journal, self.clock, message.uuid))

    def on_open_entity(self, message: OpenEntity) -> None:
        from .screens.entity import EntityScreen

        self.push_screen(
            EntityScreen(self.journal, self.clock, message.uuid, message.name, message.type)
        )

    # ------------------------------------------------------------------ writes

    def on_edit_entry(self, message: EditEntry) -> None:
        from .screens.editor import EditorScreen

        editor = EditorScreen(self.journal, self.clock, message.uuid, message.content, message.date)
        self.push_screen(editor, self._saved)

    def _saved(self, uuid: str | None) -> None:
        if uuid is not None:
            self.notify("Saved. Charlie reads it in the background.", timeout=3)
            self._reload_screen(focus=uuid)

    def on_delete_entry(self, message: DeleteEntry) -> None:
        uuid = message.uuid

        def answered(yes: bool | None) -> None:
            if yes:
                run_blocking(self, lambda: self._delete(uuid), group="write", exclusive=False)

        from .screens.confirm import ConfirmScreen

        question = "Delete this entry? What Charlie found only in it goes too."
        self.push_screen(ConfirmScreen(question, "Delete"), answered)

    def _delete(self, uuid: str) -> EntryDeleted:
        self.journal.delete(uuid)
        return EntryDeleted(uuid)

    def on_entry_deleted(self, message: EntryDeleted) -> None:
        from .screens.entry import EntryScreen

        self.notify("Entry deleted.", timeout=3)
        screen = self.screen
        if isinstance(screen, EntryScreen) and screen.uuid == message.uuid:
            self.pop_screen()  # the screen below reloads as it comes back
        else:
            self._reload_screen()

    def on_retry_entry(self, message: RetryEntry) -> None:
        uuid = message.uuid
        run_blocking(self, lambda: self._retry(uuid), group="write", exclusive=False)

    def _retry(self, uuid: str) -> EntryRetried | OperationFailed:
        from charlie_worker import EntryError, EntryNotFoundError

        try:
            self.journal.retry(uuid)
        except (EntryError, EntryNotFoundError) as exc:
            return OperationFailed(str(exc))
        return EntryRetried(uuid)

    def on_entry_retried(self) -> None:
        self.notify("Queued again: Charlie will read it shortly.", timeout=3)
        self._reload_screen()

    def on_operation_failed(self, message: OperationFailed) -> None:
        self.notify(message.error, severity="error")

    # ------------------------------------------------------------------ corrections

    def on_correct(self, message: Correct) -> None:
        apply = message.apply
        run_blocking(self, lambda: self._correct(apply), group="write", exclusive=False)

    def _correct(self, apply: Callable[[Curation], Undo]) -> Corrected | OperationFailed:
        from charlie_worker import CorrectionError

        try:
            return Corrected(apply(self.journal.curation))
        except CorrectionError as exc:
            return OperationFailed(str(exc))

    def on_corrected(self, message: Corrected) -> None:
        self._undo = message.undo
        self.refresh_bindings()
        self.notify(f"{message.undo.description} {press(self.screen, 'undo', 'undo')}", timeout=8)
        self._reload_screen()

    def action_undo(self) -> None:
        """Undo the last correction (u, the palette), right after it was made."""
        undo, self._undo = self._undo, None
        self.refresh_bindings()
        if undo is None:
            self.notify("Nothing to undo.", timeout=3)
            return
        run_blocking(self, lambda: self._run_undo(undo), group="write", exclusive=False)

    def _run_undo(self, undo: Undo) -> Undone:
        self.journal.curation.undo(undo)
        return Undone(undo)

    def on_undone(self, message: Undone) -> None:
        self.notify(f"Undone: {message.undo.description}", timeout=4)
        self._reload_screen()

    # ------------------------------------------------------------------ reading

    def action_pause_reading(self) -> None:
        """Stop reading entries until resumed, across restarts too (the palette)."""
        self.notify("Pausing: Charlie finishes the entry it is on.", timeout=3)
        run_blocking(self, self._pause, group="reading")

    def _pause(self) -> ReadingToggled:
        self.runtime.pause()
        return ReadingToggled(paused=True)

    def action_resume_reading(self) -> None:
        run_blocking(self, self._resume, group="reading")

    def _resume(self) -> ReadingToggled:
        self.runtime.resume()
        return ReadingToggled(paused=False)

    def on_reading_toggled(self, message: ReadingToggled) -> None:
        if message.paused:
            self.notify("Reading paused. Resume it from the command palette (ctrl+p).")
        else:
            self.notify("Reading resumed.", timeout=3)
        self._poll()

    def action_retry_failed(self) -> None:
        run_blocking(self, self._retry_failed, group="write", exclusive=False)

    def _retry_failed(self) -> FailedRetried:
        return FailedRetried(self.journal.reading.retry_failed())

    def on_failed_retried(self, message: FailedRetried) -> None:
        self.notify(f"Queued again: {plural(message.count, 'entry', 'entries')}.", timeout=3)
        self._reload_screen()

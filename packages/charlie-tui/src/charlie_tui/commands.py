"""The command palette (ctrl+p): the journal's commands next to Textual's system ones."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from .keys import key_text, keys_by_action
from .screens.base import DataScreen

APP_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New entry", "Write a new journal entry", "new_entry"),
    ("Search entries", "Find entries by their words", "search"),
    ("People, places and things", "What Charlie found, with mention counts", "entities"),
    ("All entries", "Back to the list of entries", "home"),
    ("Import from Day One", "A Day One export: the .zip or the .json in it", "import('dayone')"),
    ("Import a folder of text files", ".md and .txt files, recursively", "import('files')"),
    ("Import from jrnl", "Its journal.txt, or what `jrnl --export json` writes", "import('jrnl')"),
    ("Blocked names", "Names Charlie never files; unblock them here", "blocked"),
    ("Undo the last correction", "Put back what the last correction changed", "undo"),
    ("Pause reading", "Charlie reads no entry until you resume (remembered)", "pause_reading"),
    ("Resume reading", "Charlie reads the waiting entries again", "resume_reading"),
    ("Retry every failed entry", "Queue every entry whose reading failed again", "retry_failed"),
    ("Worker log", "What the worker did: entries read, failures and why", "worker_log"),
)

"""The journal's commands: title, help, action. The help gets the key that runs the action
where one does (``keys.keys_by_action``: the user's own keys included)."""

Command = tuple[str, str, DOMNode, str]
"""Title, help, the node that runs it, its action."""


class CharlieCommands(Provider):
    """The app's commands that apply now, plus the current screen's keyed actions."""

    def _commands(self) -> list[Command]:
        commands: list[Command] = []
        if isinstance(self.screen, DataScreen):  # not over the editor or a dialog
            keys = keys_by_action(self.screen)
            commands += [
                (title, f"{text} ({keys[action]})" if action in keys else text, self.app, action)
                for title, text, action in APP_COMMANDS
            ]
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if active.node is self.screen and active.enabled and binding.show:
                where = self.screen.sub_title or self.screen.title
                help_text = f"{where} ({key_text(binding)})"
                commands.append((binding.description, help_text, self.screen, binding.action))
        return commands

    @staticmethod
    def _run(node: DOMNode, action: str) -> None:
        node.call_later(node.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, node, action in self._commands():
            yield DiscoveryHit(title, partial(self._run, node, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, node, action in self._commands():
            if (score := matcher.match(title)) > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self._run, node, action),
                    help=help_text,
                )

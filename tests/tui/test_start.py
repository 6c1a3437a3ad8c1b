"""What the first frame is spared (bench ``ui_start`` measures the time): the screens it does
not show are imported only when opened and their styles read after it, and the footer builds
its keys once for a burst of binding refreshes.

Ordering and counts, not timing: the imports are read from ``sys.modules`` of a fresh
process (pytest has imported every screen already), the builds by counting them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textual.geometry import Spacing
from textual.widgets._footer import FooterKey

from charlie_tui.app import CharlieApp
from charlie_tui.screens.base import SCREENS_CSS
from charlie_tui.screens.entry import EntryScreen
from charlie_tui.screens.problem import ProblemScreen
from charlie_tui.widgets.footer import Footer
from kit.tables import table_rows

LATER_SCREENS = {
    f"charlie_tui.screens.{name}"
    for name in (
        "blocked",
        "confirm",
        "correcting",
        "correction_dialogs",
        "editor",
        "entities",
        "entity",
        "entry",
        "importing",
        "problem",
        "worker_log",
    )
}
"""Every screen but the entry list, the first one."""
THEIR_WIDGETS = {"textual.widgets._text_area", "textual.widgets._log"}
"""Textual widgets only those screens use (the editor's and the worker log's)."""


def test_the_app_imports_only_the_first_screen() -> None:
    code = "import json, sys\nimport charlie_tui.cli, charlie_tui.app\n"
    code += "print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))

    assert "charlie_tui.screens.entries" in loaded
    assert loaded & LATER_SCREENS == set()
    assert loaded & THEIR_WIDGETS == set()


async def test_a_burst_of_binding_refreshes_builds_the_keys_once(
    tui, journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 5, what="the list")
        await tui.settle(pilot)
        footer = app.screen.query_one(Footer)
        builds: list[Footer] = []
        build = Footer.compose

        def counted(self: Footer):
            builds.append(self)
            return build(self)

        monkeypatch.setattr(Footer, "compose", counted)
        for _ in range(3):  # before the footer gets to build anything
            app.screen.refresh_bindings()
        await tui.settle(pilot)
        assert builds == [footer]

        app.screen.refresh_bindings()  # a refresh after that build is built again
        await tui.settle(pilot)
        assert builds == [footer, footer]
        assert "New entry" in {key.description for key in footer.query(FooterKey)}


async def test_the_other_screens_styles_are_read_after_the_first_frame(
    tui, journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = CharlieApp(start_worker=False, clock=tui.clock)
    read_at_ready: list[bool] = []
    ready = CharlieApp.on_ready

    def noted(self: CharlieApp) -> None:
        read_at_ready.append(self.stylesheet.has_source(str(SCREENS_CSS)))
        ready(self)

    monkeypatch.setattr(CharlieApp, "on_ready", noted)
    async with app.run_test(size=(120, 30)) as pilot:
        await tui.wait_for(pilot, lambda: len(table_rows(app)) == 5, what="the list")
        assert read_at_ready == [False]
        assert app.stylesheet.has_source(str(SCREENS_CSS))

        reparsed: list[bool] = []
        monkeypatch.setattr(app.stylesheet, "reparse", lambda: reparsed.append(True))
        await pilot.press("enter")
        await tui.wait_for(pilot, lambda: isinstance(app.screen, EntryScreen), what="an entry")
        meta = app.screen.query_one("#entry-meta")
        assert meta.styles.padding == Spacing(0, 1, 0, 1)  # screens.tcss
        assert reparsed == []  # read already: Textual had nothing to parse again


async def test_a_screen_shown_before_the_styles_are_read_reads_them(
    tui, journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CharlieApp, "_read_screens_css", lambda self: None)
    app = CharlieApp(start_worker=False, clock=tui.clock)
    async with app.run_test(size=(120, 30)) as pilot:
        assert not app.stylesheet.has_source(str(SCREENS_CSS))
        await app.push_screen(ProblemScreen("Cannot open", "why"))
        await tui.settle(pilot)
        assert app.screen.query_one("#problem").styles.padding == Spacing(2, 4, 2, 4)
        assert app.screen.query_one("#problem-title").styles.text_style.bold

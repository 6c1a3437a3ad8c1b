"""``charlie-tui export`` on the real embedded FalkorDB, and the Markdown round trip: export,
import the folder into a new journal, and find the same entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from charlie_tui.cli import main
from charlie_worker.store.entries import add_entry
from charlie_worker.store.queries import list_entries
from kit.seeds import read_as

LISBON = timezone(timedelta(hours=1))
TRICKY = [
    "Plain entry about Priya.",
    "---\ntitle: this text starts like front matter\n---\nand goes on",
    "\n\nStarts with blank lines, ends with one\n",
    "Windows lines\r\nand a tab\there, ünïcödé ✓ 🎉, a --- rule\n---\n",
    "date: 1999-01-01\nnot front matter, just a line that looks like it",
]


def seed() -> list[str]:
    """The tricky texts, a day apart in different offsets; the first one read."""
    start = datetime(2024, 3, 5, 9, 12, tzinfo=LISBON)
    uids = [
        add_entry(text, date=(start + timedelta(days=n)).astimezone(LISBON if n % 2 else UTC))
        for n, text in enumerate(TRICKY)
    ]
    read_as(uids[0], ("Priya", "Person"), ("Ferry Building", "Place"))
    return uids


def test_json_export_is_oldest_first_with_offsets_and_entities(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uids = seed()
    out = tmp_path / "out" / "journal.json"
    assert main(["export", "--format", "json", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"exported 5 entries to {out}"
    entries = json.loads(out.read_text(encoding="utf-8"))["entries"]
    assert [e["id"] for e in entries] == uids
    assert [e["text"] for e in entries] == TRICKY
    assert entries[0]["date"] == "2024-03-05T08:12:00+00:00"
    assert entries[1]["date"] == "2024-03-06T09:12:00+01:00"
    assert sorted(map(tuple, (x.values() for x in entries[0]["entities"]))) == [
        ("Ferry Building", "Place"),
        ("Priya", "Person"),
    ]
    assert entries[1]["entities"] == []
    assert set(entries[0]) == {"id", "date", "text", "entities"}


def test_markdown_export_imports_back_to_the_same_entries(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed()
    folder = tmp_path / "markdown"
    assert main(["export", "--format", "markdown", str(folder)]) == 0
    assert len(list(folder.glob("*.md"))) == 5
    assert main(["import", "files", str(folder), "--journal", "copy"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "imported 5 · already there 0 · skipped 0"
    )

    def same(journal: str) -> list[tuple[str, datetime, str | None]]:
        return [(e.content, e.date, e.date.tzname()) for e in list_entries(journal)]

    assert same("copy") == same("default")
    # Importing the export into the journal it came from finds everything already there.
    assert main(["import", "files", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "imported 0 · already there 5 · skipped 0"
    )


def test_an_empty_journal_exports_an_empty_list(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty.json"
    assert main(["export", "--format", "json", str(out)]) == 0
    assert json.loads(out.read_text()) == {"entries": []}


def test_an_unwritable_destination_says_so(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["export", "--format", "markdown", str(blocker)]) == 1
    assert f"cannot write {blocker}" in capsys.readouterr().err

"""The three readers on real files built here: what each finds, and each bad input's message.

No database: a reader only turns a source into entries found and items skipped.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from charlie_tui.importers import Found, Skipped, dayone, files, jrnl
from kit.sources import (
    dayone_entry,
    dayone_zip,
    jrnl_entry,
    jrnl_journal,
    jrnl_json,
    text_file,
)

MOMENT = datetime(2024, 3, 5, 9, 12, tzinfo=UTC)
UUID = "5A1E9C7B2D3F4E5A6B7C8D9E0F1A2B3C"


def found(items: list[Found | Skipped]) -> list[Found]:
    return [item for item in items if isinstance(item, Found)]


def skipped(items: list[Found | Skipped]) -> list[tuple[str, str]]:
    return [(item.where, item.reason) for item in items if isinstance(item, Skipped)]


# ----------------------------------------------------------------------------- Day One


def test_dayone_zip_unescapes_drops_photos_and_keeps_uuid_and_zone(tmp_path: Path) -> None:
    text = (
        "Lunch with Priya at the Ferry Building\\. Great\\!\n\n"
        "![](dayone-moment://0123456789ABCDEF0123456789ABCDEF)\n\n"
        "\\- figs \\(fresh\\) \\#summer 3\\.5 \\\\o/"
    )
    source = dayone_zip(tmp_path / "export.zip", [dayone_entry(UUID, MOMENT, text)])
    (entry,) = found(list(dayone.read(source)))
    assert entry.text == (
        "Lunch with Priya at the Ferry Building. Great!\n\n- figs (fresh) #summer 3.5 \\o/"
    )
    assert entry.source_id == f"dayone:{UUID}"
    assert entry.date == MOMENT  # the same instant ...
    assert entry.date.tzinfo == ZoneInfo("Europe/Lisbon")  # ... in the entry's own time zone
    assert entry.where == "export.zip:Journal.json entry 1"


def test_dayone_json_inside_the_zip_reads_the_same(tmp_path: Path) -> None:
    source = dayone_zip(tmp_path / "export.zip", [dayone_entry(UUID, MOMENT, "Plain\\.")])
    with zipfile.ZipFile(source) as archive:
        archive.extract("Journal.json", tmp_path)
    (entry,) = found(list(dayone.read(tmp_path / "Journal.json")))
    assert (entry.text, entry.source_id) == ("Plain.", f"dayone:{UUID}")


def test_dayone_skips_empty_and_photo_only_entries_and_reports_bad_ones(tmp_path: Path) -> None:
    entries = [
        dayone_entry(UUID, MOMENT, "Kept."),
        dayone_entry("1" * 32, MOMENT, ""),
        dayone_entry("2" * 32, MOMENT, "![](dayone-moment://ABC)"),
        {"uuid": "3" * 32, "text": "no date"},
        {**dayone_entry("4" * 32, MOMENT, "bad date"), "creationDate": "yesterday"},
        "not an object",
        {**dayone_entry("not-a-uuid", MOMENT, "Kept without a source id."), "timeZone": "Mars/X"},
    ]
    items = list(dayone.read(dayone_zip(tmp_path / "e.zip", entries)))
    assert [(e.text, e.source_id) for e in found(items)] == [
        ("Kept.", f"dayone:{UUID}"),
        ("Kept without a source id.", None),
    ]
    assert found(items)[1].date.tzinfo == UTC  # an unknown zone: the UTC moment as given
    reasons = [reason for _, reason in skipped(items)]
    assert reasons == [
        "no text (photos only, or empty)",
        "no text (photos only, or empty)",
        "no creationDate",
        "creationDate 'yesterday' is not an ISO 8601 date",
        "not an entry (expected an object)",
    ]


def test_dayone_corrupt_zip_and_wrong_shapes_each_say_why(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.zip"
    good = dayone_zip(tmp_path / "good.zip", [dayone_entry(UUID, MOMENT, "x")])
    corrupt.write_bytes(good.read_bytes()[:60])  # cut off: no central directory
    assert skipped(list(dayone.read(corrupt))) == [
        (str(corrupt), "not a readable zip file (damaged or incomplete)")
    ]
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"journal": []}')
    assert skipped(list(dayone.read(wrong))) == [
        (str(wrong), 'not a Day One export: no "entries" list')
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{"entries": [')
    ((_, reason),) = skipped(list(dayone.read(broken)))
    assert reason.startswith("not Day One JSON: ")
    assert skipped(list(dayone.read(tmp_path / "missing.zip"))) == [
        (str(tmp_path / "missing.zip"), "no such file")
    ]


# ----------------------------------------------------------------------------- files


def test_files_date_from_front_matter_then_name_then_mtime(tmp_path: Path) -> None:
    mtime = datetime(2022, 2, 2, 22, 22, tzinfo=UTC)
    text_file(
        tmp_path / "notes" / "trip.md",
        "---\ntitle: Trip\ndate: 2024-03-05T09:12:00+01:00\n---\n\n# Lisbon\nTrams.\n",
    )
    text_file(tmp_path / "2023-07-14 bastille.txt", "Fireworks.")
    text_file(tmp_path / "undated.txt", "When the file was last changed.", mtime=mtime)
    text_file(tmp_path / "day.md", "---\ndate: 2021-01-02\n---\nA day, no time.")
    items = list(files.read(tmp_path))
    assert skipped(items) == []
    by_name = {Path(e.where).name: e for e in found(items)}
    trip = by_name["trip.md"]
    assert trip.text == "# Lisbon\nTrams.\n"  # front matter and its blank line are not text
    assert trip.date == datetime(2024, 3, 5, 9, 12, tzinfo=timezone(timedelta(hours=1)))
    assert trip.where == str(Path("notes") / "trip.md")
    assert by_name["2023-07-14 bastille.txt"].date == datetime(2023, 7, 14).astimezone()
    assert by_name["undated.txt"].date == mtime
    assert by_name["day.md"].date == datetime(2021, 1, 2).astimezone()
    assert all(e.source_id is None for e in found(items))


def test_files_bad_items_are_skipped_with_a_reason_and_the_rest_read(tmp_path: Path) -> None:
    text_file(tmp_path / "good.md", "Fine.")
    text_file(tmp_path / "photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    text_file(tmp_path / "latin1.txt", "caf\xe9".encode("latin-1"))
    text_file(tmp_path / "picture.jpg", b"\xff\xd8\xff")
    text_file(tmp_path / "empty.txt", "   \n")
    text_file(tmp_path / "bad-yaml.md", "---\ndate: [unclosed\n---\ntext")
    text_file(tmp_path / "bad-date.md", "---\ndate: someday\n---\ntext")
    text_file(tmp_path / ".obsidian" / "config.md", "hidden tool files are passed over")
    items = list(files.read(tmp_path))
    assert [e.text for e in found(items)] == ["Fine."]
    reasons = dict(skipped(items))
    assert reasons["photo.md"] == "a binary file, not text"
    assert reasons["latin1.txt"] == "not UTF-8 text (a binary file, or another encoding)"
    assert reasons["picture.jpg"] == "not a .md or .txt file"
    assert reasons["empty.txt"] == "empty"
    assert reasons["bad-yaml.md"].startswith("front matter is not valid YAML")
    assert reasons["bad-date.md"] == "front matter date 'someday' is not an ISO 8601 date"
    assert len(reasons) == 6
    missing = tmp_path / "nope"
    assert skipped(list(files.read(missing))) == [(str(missing), "not a folder")]


# ----------------------------------------------------------------------------- jrnl


def test_jrnl_title_and_body_become_the_text_at_local_time(tmp_path: Path) -> None:
    source = jrnl_json(
        tmp_path / "journal.json",
        [
            jrnl_entry("2024-03-05", "09:12", "Met Sarah.", " We talked about @work.", ["@work"]),
            jrnl_entry("2024-03-06", "21:00", "Only a title.", ""),
            jrnl_entry("2024-03-07", "25:99", "Bad time.", ""),
            {"date": "2024-03-08", "time": "10:00", "title": "", "body": ""},
        ],
    )
    items = list(jrnl.read(source))
    assert [(e.text, e.date) for e in found(items)] == [
        ("Met Sarah.\nWe talked about @work.", datetime(2024, 3, 5, 9, 12).astimezone()),
        ("Only a title.", datetime(2024, 3, 6, 21, 0).astimezone()),
    ]
    assert skipped(items) == [
        ("journal.json entry 3", "date '2024-03-07' '25:99' is not a date and time"),
        ("journal.json entry 4", "empty"),
    ]


def test_jrnl_wrong_shape_and_binary_files_say_why(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text('[{"date": "2024-01-01"}]')
    assert skipped(list(jrnl.read(wrong))) == [(str(wrong), 'not a jrnl export: no "entries" list')]
    cut = text_file(tmp_path / "cut.json", '{"entries": [{"date": ')
    ((_, reason),) = skipped(list(jrnl.read(cut)))
    assert reason.startswith("not jrnl JSON: ")


def test_a_jrnl_journal_file_is_read_as_jrnl_writes_it(tmp_path: Path) -> None:
    """Title and body, the star dropped, a bracket that is no date kept as text; jrnl's
    default time format (``%F %r``)."""
    source = jrnl_journal(
        tmp_path / "journal.txt",
        [
            (
                datetime(2024, 3, 5, 9, 12),
                "Met Sarah.",
                "We talked about @work.\n[x] call Mum",
                False,
            ),
            (datetime(2024, 3, 6, 21, 0), "A good day.", "", True),
            (
                datetime(2024, 3, 7, 13, 5),
                "Lunch.",
                "[1] Priya came too.\n[March 2023] was harder. Then home.",
                False,
            ),
        ],
    )
    items = list(jrnl.read(source))
    assert skipped(items) == []
    assert [(e.where, e.text, e.date) for e in found(items)] == [
        (
            "journal.txt entry 1",
            "Met Sarah.\nWe talked about @work.\n[x] call Mum",
            datetime(2024, 3, 5, 9, 12).astimezone(),
        ),
        ("journal.txt entry 2", "A good day.", datetime(2024, 3, 6, 21, 0).astimezone()),
        (
            "journal.txt entry 3",
            "Lunch.\n[1] Priya came too.\n[March 2023] was harder. Then home.",
            datetime(2024, 3, 7, 13, 5).astimezone(),
        ),
    ]


def test_a_jrnl_journal_written_on_windows_reads_the_same(tmp_path: Path) -> None:
    source = jrnl_journal(
        tmp_path / "journal.txt", [(datetime(2024, 3, 5, 9, 12), "Met Sarah.", "Coffee.", False)]
    )
    windows = text_file(
        tmp_path / "windows.txt", b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n")
    )
    (entry,) = found(list(jrnl.read(windows)))
    assert (entry.text, entry.date) == (
        "Met Sarah.\nCoffee.",
        datetime(2024, 3, 5, 9, 12).astimezone(),
    )


def test_a_jrnl_journal_in_an_older_or_own_time_format(tmp_path: Path) -> None:
    entries = [(datetime(2012, 3, 29, 9, 0), "Called in sick.", "Cleaned the house.", False)]
    for timeformat in ("%Y-%m-%d %H:%M", "%d %B %Y, %H:%M"):
        source = jrnl_journal(tmp_path / "journal.txt", entries, timeformat)
        (entry,) = found(list(jrnl.read(source)))
        assert entry.date == datetime(2012, 3, 29, 9, 0).astimezone(), timeformat
        assert entry.text == "Called in sick.\nCleaned the house."


def test_what_is_no_jrnl_journal_says_why(tmp_path: Path) -> None:
    """Text without entries, an encrypted journal (jrnl's own export reads it), and text
    before the first entry: each named, nothing dropped unsaid."""
    notes = text_file(tmp_path / "notes.txt", "Just some notes.\n[draft] not a date\n")
    assert skipped(list(jrnl.read(notes))) == [
        (
            str(notes),
            "not a jrnl journal: no line starts with a [date]; if it is encrypted, run "
            "`jrnl --export json > journal.json` and import that",
        )
    ]
    encrypted = text_file(tmp_path / "secret.txt", b"\x8f\x02\xa9 AES bytes \xff")
    ((_, reason),) = skipped(list(jrnl.read(encrypted)))
    assert reason.startswith("not a jrnl journal (not text): if it is encrypted")
    preamble = text_file(tmp_path / "journal.txt", "My journal\n[2024-03-05 09:12] Met Sarah.\n")
    items = list(jrnl.read(preamble))
    assert skipped(items) == [("journal.txt before its first entry", "text without a [date] line")]
    assert [e.text for e in found(items)] == ["Met Sarah."]

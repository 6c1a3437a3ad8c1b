"""The default extractor's measured quality is stated twice: in the root README's table (one
``bench/extraction_quality.py`` run) and in charlie-optimize's, beside the optimizers' states
it is compared with. A re-measure that updates one must update the other."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = "**candidates + typing (the default)**"
DEFAULT_OPTIMIZE = "unoptimized (2 hand-written demos): **the default**"


def cells(readme: Path, marker: str) -> list[list[str]]:
    """The cells of each table row of ``readme`` that holds ``marker``."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in readme.read_text().splitlines()
        if line.startswith("|") and marker in line
    ]


def test_the_optimizer_table_shows_the_default_as_measured_last() -> None:
    journal, wnut = cells(ROOT / "README.md", DEFAULT_ROOT)  # journal val, WNUT dev 300
    assert (journal[0], wnut[0]) == ("journal val", "WNUT dev 300")
    root = {
        "journal F1": journal[5].rsplit("/", 1)[1].strip().strip("*"),
        "WNUT F1": wnut[5].rsplit("/", 1)[1].strip().strip("*"),
        "entries/min": f"{journal[6]} / {wnut[6]}",
        "tokens/entry": f"{journal[7]} / {wnut[7]}",
    }
    (row,) = cells(ROOT / "packages/charlie-optimize/README.md", DEFAULT_OPTIMIZE)
    optimize = {
        "journal F1": row[2].strip("*"),
        "WNUT F1": row[3].strip("*"),
        "entries/min": row[4],
        "tokens/entry": row[5],
    }
    assert optimize == root

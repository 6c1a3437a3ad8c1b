"""The UI's boundary with the store: no Cypher in charlie-tui, and only the public face.

Every graph query lives in ``charlie_worker.store``; the app reads and writes through
``Journal`` and the names ``charlie_worker`` exports. A query written in the UI, or an import
of ``charlie_worker.store`` / ``.pipeline`` / ``.settings``, would tie the app to the store's
insides (and the pipeline would load a model into the UI).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

import charlie_worker

REPO = Path(__file__).resolve().parents[2]
TUI_SRC = REPO / "packages" / "charlie-tui" / "src"
STORE = REPO / "packages" / "charlie-worker" / "src" / "charlie_worker" / "store"

CYPHER = re.compile(
    r"\b(?:OPTIONAL\s+)?MATCH\s*\("  # a pattern match
    r"|\bMERGE\s*\("
    r"|\bCREATE\s*\("
    r"|\bDETACH\s+DELETE\b"
    r"|\bCALL\s+db\."  # a procedure (full-text search, indexes)
    r"|\(\w*:[A-Z]\w*\s*[{)]"  # a node pattern: (n:Entity) or (:Episode {
    r"|\]->\(|\)<-\[",  # a relationship: -[:MENTIONS]->( or )<-[:MENTIONS]-
    re.IGNORECASE,
)
"""Cypher in any case, recognised by a clause and its pattern (prose such as "create it"
or "return it" does not match)."""
UPPER_CYPHER = re.compile(r"\b(?:RETURN|UNWIND|WITH|WHERE|SET|DELETE)\b\s+\S")
"""Keywords without a pattern count in upper case only, as Cypher is written."""

PUBLIC = frozenset(charlie_worker.__all__)


def _text_of(source: str, suffix: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string literal and comment of a Python file (code itself is
    not text: ``match (x):`` is a statement); a file of any other kind is text throughout."""
    if suffix != ".py":
        return list(enumerate(source.splitlines(), start=1))
    kinds = {tokenize.STRING, tokenize.COMMENT, tokenize.FSTRING_MIDDLE}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type in kinds]


def cypher_in(source: str, suffix: str = ".py") -> list[str]:
    """The Cypher found in a file's text, as ``line: excerpt``."""
    found = []
    for line, text in _text_of(source, suffix):
        for match in [*CYPHER.finditer(text), *UPPER_CYPHER.finditer(text)]:
            found.append(f"{line}: {text[max(0, match.start() - 20) : match.end() + 20]!r}")
    return found


def private_imports(source: str) -> list[str]:
    """Every way ``source`` reaches past ``charlie_worker``'s public face, as ``line: what``."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "charlie_worker":
                    aliases.add(alias.asname or alias.name)
                elif alias.name.startswith("charlie_worker."):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("charlie_worker."):
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "charlie_worker":
                for alias in node.names:
                    if alias.name not in PUBLIC:  # a submodule, or "*"
                        found.append(f"{node.lineno}: from charlie_worker import {alias.name}")
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and str(first.value).startswith("charlie_worker.")
            ):
                found.append(f"{node.lineno}: {name}({first.value!r})")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in PUBLIC
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _tui_files() -> list[Path]:
    return sorted(
        path
        for path in TUI_SRC.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def test_the_ui_holds_no_cypher() -> None:
    files = _tui_files()
    assert len([f for f in files if f.suffix == ".py"]) > 15, files
    found = [
        f"{path.relative_to(TUI_SRC)}:{hit}"
        for path in files
        for hit in cypher_in(path.read_text(encoding="utf-8"), path.suffix)
    ]
    assert found == [], "\n".join(found)


def test_the_ui_imports_only_the_workers_public_face() -> None:
    files = [f for f in _tui_files() if f.suffix == ".py"]
    found = []
    public_imports = 0
    for path in files:
        source = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(TUI_SRC)}:{hit}" for hit in private_imports(source)]
        public_imports += source.count("from charlie_worker import")
    assert found == [], "\n".join(found)
    assert public_imports >= 5  # the check ran on the real imports, not on nothing


# --------------------------------------------------------------------------- the checks work


@pytest.mark.parametrize("module", ["entries.py", "queries.py", "entities.py", "schema.py"])
def test_the_cypher_check_finds_the_stores_own_queries(module: str) -> None:
    assert cypher_in((STORE / module).read_text(encoding="utf-8")), module


@pytest.mark.parametrize(
    "source",
    [
        'Q = "MATCH (e:Episode) RETURN e.uuid"\n',
        "q = 'match (n) return n'\n",
        'Q = """\nMERGE (n:Entity {uuid: $uuid})\n"""\n',
        'Q = f"CREATE (:Episode {{uuid: {u!r}}})"\n',
        'Q = "OPTIONAL MATCH (e)-[m:MENTIONS]->(n) DELETE m"\n',
        'Q = "MATCH (e) DETACH DELETE e"\n',
        "Q = \"CALL db.idx.fulltext.queryNodes('Episode', $q)\"\n",
        'Q = "WITH e ORDER BY e.created_at"\n',
        "# RETURN n.name\n",
    ],
)
def test_the_cypher_check_catches_queries(source: str) -> None:
    assert cypher_in(source), source


@pytest.mark.parametrize(
    "source",
    [
        "match (a, b):\n    case _:\n        pass\n",
        'HELP = "Press ctrl+n to create an entry, then return to the list."\n',
        'NOTE = "(default: the bundled model)"\n',
        "def f(x):\n    return (x)\n",
    ],
)
def test_the_cypher_check_leaves_python_and_prose_alone(source: str) -> None:
    assert cypher_in(source) == [], source


@pytest.mark.parametrize(
    "source",
    [
        "from charlie_worker.store.journal import Journal\n",
        "import charlie_worker.store.queries\n",
        "import charlie_worker.pipeline.manager as manager\n",
        "from charlie_worker import store\n",
        "from charlie_worker import *\n",
        "import charlie_worker\nx = charlie_worker.store\n",
        "import charlie_worker as cw\nx = cw.pipeline.tasks\n",
        "import importlib\nimportlib.import_module('charlie_worker.store.queue')\n",
        "def f():\n    from charlie_worker.settings import WorkerSettings\n",
    ],
)
def test_the_import_check_catches_private_imports(source: str) -> None:
    assert private_imports(source), source


@pytest.mark.parametrize(
    "source",
    [
        "from charlie_worker import Journal, QueueState\n",
        "import charlie_worker\nj = charlie_worker.Journal()\n",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from charlie_worker import EntryRow\n",
        "from .journal import Journal\n",  # the UI's own modules
    ],
)
def test_the_import_check_accepts_the_public_face(source: str) -> None:
    assert private_imports(source) == [], source

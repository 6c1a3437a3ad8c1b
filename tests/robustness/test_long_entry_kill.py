"""``kill -9`` of the real worker in the middle of a long entry: the next worker reads only
the chunks the killed one had not finished, and the entry ends whole, filed once.

Each worker here is the real ``charlie-worker`` on the real model, except that it writes the
chunk it starts reading to a file (the chunk's field in the entry's hash), so the test can
count what each worker read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from charlie_inference import chunks_of
from charlie_worker.store.chunk_progress import FIELD_PREFIX, chunk_field
from charlie_worker.store.episode_state import get_episode_data
from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from kit.long_entries import MORE_NAMES, NAMES, long_entry


def _counting_worker(log: Path, reads: Path) -> list[str]:
    code = (
        "from charlie_inference import EntityExtractor\n"
        "from charlie_worker.store.chunk_progress import chunk_field\n"
        "read_chunk = EntityExtractor.read_chunk\n"
        "def counted(self, chunk, known=None):\n"
        f"    with open({str(reads)!r}, 'a') as out:\n"
        "        out.write(chunk_field(chunk) + '\\n')\n"
        "    return read_chunk(self, chunk, known)\n"
        "EntityExtractor.read_chunk = counted\n"
        "from charlie_worker.pipeline.cli import main\n"
        f"main(['--log-file', {str(log)!r}])\n"
    )
    return [sys.executable, "-c", code]


def _kept(episode_uuid: str) -> set[str]:
    """The chunks whose result the entry's hash holds."""
    return {f for f in get_episode_data(episode_uuid) if f.startswith(FIELD_PREFIX)}


@pytest.mark.slow
def test_a_restarted_worker_reads_only_the_chunks_not_read(db, workers, rb, tmp_path) -> None:
    text = long_entry(NAMES + MORE_NAMES)
    chunks = {chunk_field(chunk.text) for chunk in chunks_of(text)}
    assert len(chunks) == len(NAMES + MORE_NAMES)
    entry = save_entry(text)

    first = workers.start_command(_counting_worker(workers.log, tmp_path / "first.reads"))
    rb.wait_for(
        lambda: len(_kept(entry)) >= 2 or first.poll() is not None,
        300,
        "the worker to read two chunks of the long entry",
        poll=0.02,
    )
    workers.kill(first)
    kept = _kept(entry)
    assert 2 <= len(kept) < len(chunks), "the kill must land in the middle of the entry"
    assert get_entry(entry).state in ("waiting", "reading")

    workers.start_command(_counting_worker(workers.log, tmp_path / "second.reads"))
    rb.wait_for(lambda: not rb.episode_keys(), 300, "the restarted worker to read the entry")
    read_again = set((tmp_path / "second.reads").read_text().split())
    assert read_again == chunks - kept  # only the chunks not read before the kill
    assert get_entry(entry).state == "done"
    assert rb.graph_problems() == []

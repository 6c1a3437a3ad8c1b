"""``kill -9`` of the worker at each step of reading an entry: after a restart every entry is
read exactly once, nothing is doubled, and redis holds only what is still to do.

The real worker runs through ``kit.crash``, which makes it SIGKILL itself at one step (after
the claim, inside the model call, between extraction and the graph write, inside the write,
after the write before the redis hash goes); a second worker then finishes the backlog. The
fake model answers where the real one adds only time; the model-call step also runs on the
real bundled model, killed at its first sampled token.
"""

from __future__ import annotations

import signal

import pytest

from charlie_worker.store.journal import save_entry
from charlie_worker.store.queries import get_entry
from kit import crash

ENTRIES = {
    "Lunch at Zorba today with Okonkwo.": {("Okonkwo", "Person"), ("Zorba", "Place")},
    "Coffee with Okonkwo, who joined Quillon.": {
        ("Okonkwo", "Person"),
        ("Quillon", "Organization"),
    },
    "A concert at Kestrel Hall with Okonkwo.": {
        ("Kestrel Hall", "Organization"),
        ("Okonkwo", "Person"),
    },
    "Drove to Marrowby with Okonkwo.": {("Marrowby", "Place"), ("Okonkwo", "Person")},
}
"""Each entry names one name no rule can type (the fake model is asked), and what it holds."""


def _crash_and_restart(workers, rb, step: str, *, fake_lm: bool) -> tuple[dict, int]:
    """Save ``ENTRIES``, run a worker killed at ``step``, then a plain one to the end.
    Returns the uuids (to their text) and how many entries the killed worker held claimed."""
    uuids = {save_entry(text): text for text in ENTRIES}
    log = ["--log-file", str(workers.log)]
    killed = workers.start_command(
        crash.command(step, "worker", *log, fake_lm=fake_lm), env=crash.env()
    )
    assert killed.wait(300) == -signal.SIGKILL, f"the worker did not die at {step}"
    claimed = [
        uuid
        for uuid, data in rb.episode_hashes().items()
        if data.get("processing_by", "").endswith(f":{killed.pid}")
    ]
    restarted = workers.start_command(
        crash.command("none", "worker", *log, fake_lm=fake_lm), env=crash.env()
    )
    rb.wait_for(lambda: not rb.episode_keys(), 300, "the backlog to drain after the kill")
    assert workers.stop(restarted) == 0
    return uuids, len(claimed)


def _check_read_once(workers, rb, uuids: dict[str, str], *, exact: bool) -> None:
    """Every entry read exactly once (``exact``: into the entities the fake model gives it),
    nothing doubled, and redis holding nothing more to do."""
    for uuid, text in uuids.items():
        entry = get_entry(uuid)
        assert entry.state == "done", text
        if exact:
            assert {(e.name, e.type) for e in entry.entities} == ENTRIES[text], text
        assert crash.reads(workers.log, uuid) == 1, f"{text!r} was not read exactly once"
    assert rb.graph_problems() == []
    assert crash.still_to_do() == []


@pytest.mark.parametrize("step", crash.WORKER_STEPS)
def test_a_worker_killed_at_each_step_loses_and_doubles_nothing(db, workers, rb, step) -> None:
    uuids, claimed = _crash_and_restart(workers, rb, step, fake_lm=True)
    assert claimed == 1, "the kill did not land in the middle of a reading"
    _check_read_once(workers, rb, uuids, exact=True)


@pytest.mark.slow
def test_a_worker_killed_while_the_real_model_generates(db, workers, rb) -> None:
    uuids, claimed = _crash_and_restart(workers, rb, "model_call", fake_lm=False)
    assert claimed == 1, "the kill did not land in the middle of a reading"
    _check_read_once(workers, rb, uuids, exact=False)

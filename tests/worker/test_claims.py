"""Claims and leases: with several workers on one queue, an episode is read by one of them."""

from __future__ import annotations

import pytest

from charlie_worker.store.connection import get_redis
from charlie_worker.store.episode_state import (
    LEASE_PREFIX,
    PENDING,
    EpisodeClaimedError,
    get_episode_data,
    mark_episode_processing,
    reset_processing_marks,
    set_episode_status,
)


def _lease(worker: str) -> None:
    get_redis().set(LEASE_PREFIX + worker, "1", px=60_000)


def test_a_live_workers_claim_excludes_others(db: object) -> None:
    set_episode_status("e", PENDING, journal="default")
    _lease("host:1")
    assert mark_episode_processing("e", "host:1")
    with pytest.raises(EpisodeClaimedError):
        mark_episode_processing("e", "host:2")
    assert mark_episode_processing("e", "host:1")  # its own claim, renewed


def test_a_dead_workers_claim_lapses(db: object) -> None:
    set_episode_status("e", PENDING, journal="default")
    _lease("host:1")
    mark_episode_processing("e", "host:1")
    get_redis().delete(LEASE_PREFIX + "host:1")  # the lease expired: the worker is gone
    assert mark_episode_processing("e", "host:2")
    assert get_episode_data("e")["processing_by"] == "host:2"


def test_recovery_keeps_live_claims_and_drops_dead_ones(db: object) -> None:
    for name in ("live", "dead"):
        set_episode_status(name, PENDING, journal="default")
    _lease("host:live")
    mark_episode_processing("live", "host:live")
    mark_episode_processing("dead", "host:dead")
    assert reset_processing_marks() == 1
    assert "processing_since" in get_episode_data("live")
    assert "processing_since" not in get_episode_data("dead")


def test_worker_heartbeat_holds_a_lease(db: object) -> None:
    from charlie_worker.store import worker_state as status

    status.heartbeat()
    assert get_redis().pttl(LEASE_PREFIX + status.worker_id()) > 0
    status.drop_lease()
    assert not get_redis().exists(LEASE_PREFIX + status.worker_id())

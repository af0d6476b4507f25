"""The ingest lock held in a real ``chroma run`` server: turns, takeover of a dead holder's lock, a lost lock."""

from __future__ import annotations

import time

import pytest

from rag.errors import IngestLockedError
from rag.index.server_lock import ServerLock
from rag.index.store import open_client
from rag.settings import Settings

pytestmark = pytest.mark.slow


def _settings(tmp_path, server, ttl: float = 30.0) -> Settings:
    return Settings(data_dir=tmp_path / "data", store={"chroma_url": server.url, "lock_ttl_s": ttl})


def test_a_second_ingest_waits_for_the_first_and_gets_the_lock_when_it_is_released(chroma_server, tmp_path):
    settings = _settings(tmp_path, chroma_server)
    first = ServerLock(settings).held(wait_s=1)
    with pytest.raises(IngestLockedError) as caught:
        ServerLock(settings).acquire(wait_s=0.5)
    assert first.owner in str(caught.value) and chroma_server.url in str(caught.value)
    first.release()
    with ServerLock(settings).held(wait_s=1) as second:
        second.check()


def test_the_lock_of_a_holder_that_stopped_beating_is_taken_over_after_its_ttl(chroma_server, tmp_path):
    settings = _settings(tmp_path, chroma_server, ttl=1.0)
    # A holder killed with -9: its lock is there, and its heartbeat never moves again.
    open_client(settings).create_collection(
        f"{settings.store.collection}-lock", metadata={"owner": "dead-host:1:x", "beat": 7, "ttl_s": 1.0})
    started = time.monotonic()
    with ServerLock(settings).held(wait_s=10) as lock:
        waited = time.monotonic() - started
        lock.check()
    assert 1.0 <= waited < 8, f"took over after {waited:.1f} s"


def test_a_live_holder_keeps_its_lock_past_the_ttl_and_one_taken_over_finds_out_before_its_next_commit(
    chroma_server, tmp_path
):
    settings = _settings(tmp_path, chroma_server, ttl=1.0)
    holder = ServerLock(settings).held(wait_s=1)
    with pytest.raises(IngestLockedError):
        ServerLock(settings).acquire(wait_s=3)  # three TTLs: the heartbeat kept it alive
    holder.check()

    holder._stop.set()  # the holder stalls (its heartbeat stops, as on a suspended machine)
    holder._thread.join()
    with ServerLock(settings).held(wait_s=10):
        with pytest.raises(IngestLockedError) as caught:
            holder.check()
        assert "lost the lock" in str(caught.value)
    holder.release()

"""One ingest at a time across machines: a lock held in the Chroma server.

The lock is a collection named ``<collection>-lock``. Chroma keeps collection names unique in its system
database, so ``create_collection`` either creates it (the lock is taken) or fails with "already exists": the one
compare-and-set the server offers. The collection's metadata names the holder and carries a heartbeat counter,
which the holder bumps every third of ``store.lock_ttl_s``.

A waiter watches that counter on its own clock (machines' clocks need not agree): a lock whose counter has not
moved for ``lock_ttl_s`` belongs to a holder that died (``kill -9``, a lost connection), and the waiter takes it
over by renaming *that collection, by its id* to a unique name and deleting it; two waiters taking over at once
rename the same dead collection, and only one of them then creates the new lock. Releasing renames the holder's
own collection by id the same way, so it can never delete a lock another ingest took over meanwhile.

Limits: this is a lease, not consensus. A holder that stalls for longer than ``lock_ttl_s`` (a suspended laptop,
a network partition) loses the lock to a waiter; it finds out at its next commit (``check``) and stops with an
error, but a write already sent may land after the takeover. Such a write is one document's records under their
content-derived ids, so it cannot duplicate anything, and the next ingest's journal check repairs what it left.
Anyone who can reach the server can also delete the lock by hand (Chroma has no access control by itself).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from rag.errors import IngestLockedError, StoreUnavailableError
from rag.index.manifest import process_mark
from rag.index.server import answering, not_found
from rag.settings import Settings

logger = logging.getLogger(__name__)


class ServerLock:
    """The ingest lock of one index on a Chroma server; use ``with ServerLock(settings).held(wait_s):``."""

    def __init__(self, settings: Settings) -> None:
        from rag.index.store import open_client

        self.url = settings.store.chroma_url or ""
        self.name = f"{settings.store.collection}-lock"
        self.ttl_s = settings.store.lock_ttl_s
        self.owner = process_mark()
        self._client = open_client(settings)
        self._collection: Any = None
        self._stop = threading.Event()
        self._lost = ""
        self._beat = 0
        self._thread: threading.Thread | None = None

    def acquire(self, wait_s: float) -> None:
        """Take the lock, waiting up to ``wait_s`` for another ingest (or for a dead holder's lock to expire).

        Raises:
            IngestLockedError: another ingest still holds it after ``wait_s``.
            StoreUnavailableError: the server does not answer.
        """
        deadline = time.monotonic() + wait_s
        seen: tuple[str, int] | None = None
        since = time.monotonic()
        while True:
            if self._try_create():
                return
            holder = self._holder()
            if holder is None:
                continue  # released between our attempt and our look
            meta = holder.metadata or {}
            key = (str(holder.id), int(meta.get("beat", 0)))
            if key != seen:
                if seen is None:
                    logger.warning("another ingest (%s) holds the index on %s; waiting up to %.0f s",
                                   meta.get("owner", "?"), self.url, wait_s)
                seen, since = key, time.monotonic()
            elif time.monotonic() - since > float(meta.get("ttl_s", self.ttl_s)):
                logger.warning("taking over the ingest lock of %s on %s: not renewed for %.0f s",
                               meta.get("owner", "?"), self.url, time.monotonic() - since)
                self._retire(holder)
                continue
            if time.monotonic() > deadline:
                raise IngestLockedError(f"another ingest ({meta.get('owner', '?')}) is writing to the index on "
                                        f"{self.url}; try again when it has finished")
            time.sleep(min(0.5, self.ttl_s / 4))

    def check(self) -> None:
        """Raise unless this process still holds the lock (called before every commit).

        Raises:
            IngestLockedError: the lock was taken over (this ingest stalled past ``lock_ttl_s``) or is gone.
        """
        if self._collection is None:
            return
        holder = None if self._lost else self._holder()
        if self._lost or holder is None or str(holder.id) != str(self._collection.id):
            raise IngestLockedError(
                f"this ingest lost the lock on {self.url} ({self._lost or 'taken over by another ingest'}); "
                "run `reportqa ingest` again to finish its work")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._collection is not None:
            try:
                self._retire(self._collection)
            except StoreUnavailableError as exc:  # the server is gone; the lock expires by itself
                logger.warning("could not release the ingest lock on %s (%s); it expires in %.0f s",
                               self.url, exc, self.ttl_s)
            self._collection = None

    def __enter__(self) -> ServerLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def held(self, wait_s: float) -> ServerLock:
        self.acquire(wait_s)
        return self

    # -- internals -----------------------------------------------------------------------------------------------

    def _metadata(self) -> dict:
        return {"owner": self.owner, "beat": self._beat, "ttl_s": float(self.ttl_s)}

    def _try_create(self) -> bool:
        with answering(self.url):
            try:
                self._collection = self._client.create_collection(self.name, embedding_function=None,
                                                                  metadata=self._metadata())
            except Exception as exc:
                if "already exists" not in str(exc).lower():
                    raise
                return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew, name="ingest-lock-heartbeat", daemon=True)
        self._thread.start()
        return True

    def _holder(self) -> Any:
        with answering(self.url):
            try:
                return self._client.get_collection(self.name, embedding_function=None)
            except Exception as exc:
                if not_found(exc):
                    return None
                raise

    def _retire(self, collection: Any) -> None:
        """Rename ``collection`` (by id) to a unique name, then delete it by that name."""
        tomb = f"{self.name}-released-{uuid.uuid4().hex[:12]}"
        with answering(self.url):
            try:
                collection.modify(name=tomb)
                self._client.delete_collection(tomb)
            except Exception as exc:
                if not not_found(exc):  # already retired by someone else
                    raise

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            self._beat += 1
            try:
                self._collection.modify(metadata=self._metadata())
            except Exception as exc:  # the server is gone, or our lock was retired by a waiter
                self._lost = f"the heartbeat failed: {exc}"
                logger.warning("ingest lock on %s: %s", self.url, self._lost)
                return

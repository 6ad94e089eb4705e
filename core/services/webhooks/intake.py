"""Taking webhook events in fast: the tenants the route authenticates against, kept a few
seconds per process, and the inbox writes of concurrent requests committed together.

Accepting an event is one durable write: the request is answered once the transaction that
holds its inbox row has committed, never before. Applying it comes later (applier.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

log = logging.getLogger(__name__)

# How long a tenant read for the webhook route is trusted. Only for saying yes: a wrong secret
# or another audience's event is checked again against the database before it is refused, so a
# new salt or a new audience works at once. A retired secret, or the audience of a tenant just
# disconnected, can still be accepted for this long; the applier re-reads the tenant and
# refuses such an event then.
TENANT_TTL_SECONDS = 5.0
MAX_CACHED_TENANTS = 10_000
MAX_BATCH = 256


class TenantCache:
    """Tenants as read at most TENANT_TTL_SECONDS ago (this process's own memory)."""

    def __init__(self, uow: UnitOfWorkFactory, ttl: float = TENANT_TTL_SECONDS) -> None:
        self.uow = uow
        self.ttl = ttl
        self._lock = threading.Lock()
        self._tenants: dict[str, tuple[float, Tenant]] = {}

    def peek(self, tenant_id: str) -> Tenant | None:
        """The tenant if read recently, else None (reads nothing)."""
        with self._lock:
            cached = self._tenants.get(tenant_id)
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            return None
        return cached[1]

    def load(self, tenant_id: str) -> Tenant | None:
        """Reads the tenant now (and keeps it; an unknown id is not kept)."""
        with self.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
        if tenant is not None:
            with self._lock:
                if len(self._tenants) >= MAX_CACHED_TENANTS:
                    self._tenants.clear()
                self._tenants[tenant_id] = (time.monotonic(), tenant)
        return tenant


@dataclass
class _Write:
    tenant_id: str
    key: str
    payload: dict[str, Any]
    done: Future[int | None]


class InboxWriter:
    """Group commit: while one transaction commits, the events other requests hand in queue up
    and the next transaction writes them all (one INSERT … ON CONFLICT DO NOTHING per tenant),
    so 50 requests in flight cost a few commits, not 50. One thread writes; on SQLite that also
    means no two of this process's requests fight for the write lock."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, stored: Callable[[str], None]) -> None:
        self.uow = uow
        self.clock = clock
        self.stored = stored  # told each tenant that has new events (the applier wakes)
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, tenant_id: str, key: str, payload: dict[str, Any]) -> Future[int | None]:
        """The event's id once committed, None if its key was stored before; an exception if
        it could not be stored."""
        done: Future[int | None] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()
            self._queue.put(_Write(tenant_id, key, payload, done))
        return done

    def stop(self) -> None:
        """Writes what was handed in, then ends the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [] if first is None else [first]
            stopping = first is None
            while not stopping and len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            # A request that went away before its turn is not written (it got no answer).
            live = [w for w in batch if w.done.set_running_or_notify_cancel()]
            if live:
                self.write(live)
            if stopping:
                return

    def write(self, writes: list[_Write]) -> None:
        try:
            ids = self._commit(writes)
        except Exception as exc:
            if len(writes) == 1:
                writes[0].done.set_exception(exc)
                return
            for one in writes:  # an event that cannot be stored fails alone
                self.write([one])
            return
        for one, event_id in zip(writes, ids, strict=True):
            one.done.set_result(event_id)
        for tenant_id in dict.fromkeys(w.tenant_id for w in writes):
            self.stored(tenant_id)

    def _commit(self, writes: list[_Write]) -> list[int | None]:
        by_tenant: dict[str, list[int]] = {}
        for index, one in enumerate(writes):
            by_tenant.setdefault(one.tenant_id, []).append(index)
        ids: list[int | None] = [None] * len(writes)
        now = self.clock.now()
        with self.uow() as uow:
            for tenant_id, indexes in by_tenant.items():
                events = [(writes[i].key, now, writes[i].payload) for i in indexes]
                for index, event_id in zip(
                    indexes, uow.scope(tenant_id).inbox.add_many(events), strict=True
                ):
                    ids[index] = event_id
            uow.commit()
        return ids

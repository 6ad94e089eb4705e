"""What one process remembers between webhook requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class InboxMemory:
    """What one process remembers between webhook requests: the event ids being applied
    (recovery leaves them alone; the claim keeps it correct anyway, this only avoids needless
    contention) and the tenants whose leftover events it has re-applied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[tuple[str, int]] = set()
        self._recovered: set[str] = set()

    def first_time(self, tenant_id: str) -> bool:
        with self._lock:
            first = tenant_id not in self._recovered
            self._recovered.add(tenant_id)
            return first

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._recovered.discard(tenant_id)

    @contextmanager
    def hold(self, tenant_id: str, event_id: int) -> Iterator[None]:
        with self._lock:
            self._ids.add((tenant_id, event_id))
        try:
            yield
        finally:
            with self._lock:
                self._ids.discard((tenant_id, event_id))

    def __contains__(self, item: tuple[str, int]) -> bool:
        with self._lock:
            return item in self._ids

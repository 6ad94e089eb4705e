"""Injected faults and the per-account connection cap (docs/mailchimp-api.md §7.1)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

__all__ = ["FAULT_STATUSES", "MAX_CONNECTIONS", "ConnectionLimiter", "Fault", "FaultBook"]

FAULT_STATUSES = frozenset({429, 500, 502, 503, 504})
# "The Marketing API has a limit of 10 simultaneous connections." (docs/mailchimp-api.md §7.1)
MAX_CONNECTIONS = 10


@dataclass(frozen=True)
class Fault:
    """The next `count` requests matching `path_prefix` (and `method`, if set) get `status`,
    are delayed by `latency` seconds, or (`drop`) lose their connection mid-answer."""

    status: int | None = None
    count: int = 1
    path_prefix: str = "/3.0"
    method: str | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in FAULT_STATUSES:
            raise ValueError(f"fault status must be one of {sorted(FAULT_STATUSES)}")
        if self.count < 1:
            raise ValueError("fault count must be at least 1")
        if self.status is None and not self.drop and self.latency <= 0:
            raise ValueError("a fault needs a status, a latency or drop=True")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first matching fault."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    if fault.count == 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, count=fault.count - 1)
                    return fault
        return None


class ConnectionLimiter:
    """Counts in-flight API requests per account, across threads and event loops."""

    def __init__(self, limit: int = MAX_CONNECTIONS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}

    def acquire(self, account_id: str) -> int | None:
        """The new in-flight count, or None when the cap is reached."""
        with self._lock:
            current = self._in_flight.get(account_id, 0)
            if current >= self.limit:
                return None
            self._in_flight[account_id] = current + 1
            return current + 1

    def release(self, account_id: str) -> None:
        with self._lock:
            remaining = self._in_flight.get(account_id, 0) - 1
            if remaining > 0:
                self._in_flight[account_id] = remaining
            else:
                self._in_flight.pop(account_id, None)

    def in_flight(self, account_id: str) -> int:
        with self._lock:
            return self._in_flight.get(account_id, 0)

"""Thread-safe counters that tests and benchmarks read."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["Stats"]


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = {}
        self._total = 0
        self._member_writes = 0
        self._peak: dict[str, int] = {}
        self._attempted = 0
        self._succeeded = 0
        self._rejected_429 = 0

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._total = 0
            self._member_writes = 0
            self._peak.clear()
            self._attempted = 0
            self._succeeded = 0
            self._rejected_429 = 0

    # -- recording ---------------------------------------------------------------------
    def record_request(self, method: str, route: str) -> None:
        with self._lock:
            key = (method, route)
            self._requests[key] = self._requests.get(key, 0) + 1
            self._total += 1

    def record_member_writes(self, count: int = 1) -> None:
        with self._lock:
            self._member_writes += count

    def record_concurrency(self, account_id: str, in_flight: int) -> None:
        with self._lock:
            if in_flight > self._peak.get(account_id, 0):
                self._peak[account_id] = in_flight

    def record_connection_refused(self) -> None:
        with self._lock:
            self._rejected_429 += 1

    def record_delivery(self, succeeded: bool) -> None:
        with self._lock:
            self._attempted += 1
            if succeeded:
                self._succeeded += 1

    # -- reading -----------------------------------------------------------------------
    @property
    def requests(self) -> dict[tuple[str, str], int]:
        """(method, route template) -> count, e.g. ("POST", "/3.0/lists/{list_id}")."""
        with self._lock:
            return dict(self._requests)

    def count(self, method: str, route: str) -> int:
        with self._lock:
            return self._requests.get((method, route), 0)

    @property
    def total_api_requests(self) -> int:
        with self._lock:
            return self._total

    @property
    def member_writes(self) -> int:
        with self._lock:
            return self._member_writes

    @property
    def peak_concurrency(self) -> dict[str, int]:
        with self._lock:
            return dict(self._peak)

    @property
    def connections_refused(self) -> int:
        """Requests answered 429 because of the 10-connection cap."""
        with self._lock:
            return self._rejected_429

    @property
    def deliveries_attempted(self) -> int:
        with self._lock:
            return self._attempted

    @property
    def deliveries_succeeded(self) -> int:
        with self._lock:
            return self._succeeded

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": [
                    {"method": m, "route": r, "count": c}
                    for (m, r), c in sorted(self._requests.items())
                ],
                "total_api_requests": self._total,
                "member_writes": self._member_writes,
                "peak_concurrency": dict(self._peak),
                "connections_refused": self._rejected_429,
                "deliveries_attempted": self._attempted,
                "deliveries_succeeded": self._succeeded,
            }

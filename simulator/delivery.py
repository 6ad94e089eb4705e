"""Asynchronous webhook delivery with MailChimp's retry and 410 rules (docs/mailchimp-api.md §6.5)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from .events import Pairs
from .stats import Stats

__all__ = ["DEFAULT_RETRY_DELAYS", "DeliveryRecord", "DeliveryWorker", "validate_url"]

# "takes more than 10 seconds to respond, the request is canceled" (docs/mailchimp-api.md §6.5).
TIMEOUT = 10.0
# ASSUMPTION: the schedule; MailChimp only says "increasing intervals over ... 75 minutes".
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (60, 180, 600, 1200, 2400)
# docs/mailchimp-api.md §6.2/§6.3: data POSTs are form-encoded, User-Agent "MailChimp.com".
HEADERS = {"User-Agent": "MailChimp.com", "Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class DeliveryRecord:
    """One POST attempt, for tests and the control API."""

    list_id: str
    webhook_id: str
    url: str
    payload: Pairs
    attempt: int
    status: int | None  # None: timeout or connection error
    at: float = field(default_factory=time.monotonic)

    def to_json(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "webhook_id": self.webhook_id,
            "type": dict(self.payload).get("type", ""),
            "attempt": self.attempt,
            "status": self.status,
            # A local double: the URL (with its secret) and the form let a test replay a
            # delivery the way MailChimp's retries do.
            "url": self.url,
            "payload": [list(pair) for pair in self.payload],
        }


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    list_id: str = field(compare=False)
    webhook_id: str = field(compare=False)
    url: str = field(compare=False)
    payload: Pairs = field(compare=False)
    attempt: int = field(compare=False, default=1)


def validate_url(url: str, transport: httpx.BaseTransport | None) -> bool:
    """The validator's GET (docs/mailchimp-api.md §6.2): 2xx within 10 s, or the webhook is refused."""
    headers = {"User-Agent": "MailChimp.com WebHook Validator"}
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT) as client:
            response = client.get(url, headers=headers)
    except httpx.HTTPError:
        return False
    return 200 <= response.status_code < 300


class DeliveryWorker:
    def __init__(
        self,
        stats: Stats,
        on_gone: Callable[[str, str], None],
        *,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self._stats = stats
        self._on_gone = on_gone
        self._transport = transport
        self.retry_delays = tuple(retry_delays)
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._busy = 0
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.records: list[DeliveryRecord] = []

    def enqueue(self, list_id: str, webhook_id: str, url: str, payload: Pairs) -> None:
        with self._cond:
            if self._closed:
                return
            job = _Job(time.monotonic(), next(self._seq), list_id, webhook_id, url, payload)
            heapq.heappush(self._queue, job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sim-webhook-delivery", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._queue and self._busy == 0

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued, retrying or in flight."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=TIMEOUT + 1)

    def _next_job(self) -> _Job | None:
        with self._cond:
            while not self._closed:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._busy += 1
                        return heapq.heappop(self._queue)
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _run(self) -> None:
        with httpx.Client(transport=self._transport, timeout=TIMEOUT) as client:
            while (job := self._next_job()) is not None:
                try:
                    self._attempt(client, job)
                finally:
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()

    def _attempt(self, client: httpx.Client, job: _Job) -> None:
        status: int | None
        try:
            response = client.post(job.url, content=urlencode(job.payload), headers=HEADERS)
            status = response.status_code
        except httpx.HTTPError:
            status = None
        ok = status is not None and 200 <= status < 300
        self._stats.record_delivery(ok)
        with self._cond:
            self.records.append(
                DeliveryRecord(
                    job.list_id, job.webhook_id, job.url, job.payload, job.attempt, status
                )
            )
        if ok:
            return
        if status == 410:
            # Since 2021-04-05 a 410 disables the webhook, no retries (docs/mailchimp-api.md §6.5).
            self._on_gone(job.list_id, job.webhook_id)
            return
        if job.attempt <= len(self.retry_delays):
            delay = self.retry_delays[job.attempt - 1]
            retry = _Job(
                time.monotonic() + delay, next(self._seq), job.list_id, job.webhook_id,
                job.url, job.payload, job.attempt + 1,
            )  # fmt: skip
            with self._cond:
                if not self._closed:
                    heapq.heappush(self._queue, retry)

"""Sends one logical request: connection gate, retries with backoff, counting and logging."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import httpx

from calendarspots_mailchimp.adapters.mailchimp.problems import Problem, problem_of, refused_facts
from calendarspots_mailchimp.ports.mailchimp import MailChimpUnavailable, RateLimited
from calendarspots_mailchimp.ports.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that mean MailChimp did not act on the request, so even a non-idempotent request
# may be sent again. 429 is a connection-limit refusal (§7.1). ASSUMPTION: 503 likewise means
# "not processed"; 500/502/504 may come after the work was done.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Failures before the request left this process.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# ASSUMPTION: MailChimp documents no Retry-After (§7.1, §10); when one comes we honour it, but
# never block a worker thread longer than MailChimp's own 120 s call timeout (§7.1).
RETRY_AFTER_CAP = 120.0
# A throttled account (429, or the bodiless 403) is waited out, within a time budget per request
# (CS_MAILCHIMP_THROTTLE_BUDGET), apart from the count of 5xx/timeout retries: MailChimp throttles
# a busy account for longer than a few quick retries last. Without Retry-After, the wait grows
# from THROTTLE_BASE to THROTTLE_CAP, with "equal jitter" so it never collapses to nothing.
THROTTLE_BUDGET = 600.0
THROTTLE_BASE = 1.0
THROTTLE_CAP = 60.0
THROTTLE_FLOOR = 0.1  # even "Retry-After: 0" waits a little: never a tight loop of 429s


def throttled(response: httpx.Response) -> bool:
    """ "At exceptionally high volumes, you may receive an HTTP 429 or 403 without a JSON
    body" (docs/mailchimp-api.md §7.1): a 403 with no JSON is that throttle, not a refusal of access
    (which MailChimp answers with a problem+json body)."""
    if response.status_code != 403:
        return False
    try:
        return not isinstance(response.json(), dict)
    except ValueError:
        return True


class Counter:
    """A thread-safe count of HTTP requests sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def add(self) -> None:
        with self._lock:
            self._value += 1

    @property
    def value(self) -> int:
        with self._lock:
            return self._value


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header on 429/503, if it holds a number of seconds."""
    if response.status_code not in (429, 503):
        return None
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None  # the HTTP-date form is not expected from MailChimp; back off instead
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


class Requester:
    def __init__(
        self,
        client: httpx.Client,
        *,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        gate: AbstractContextManager[object] | None = None,
        jitter: Callable[[], float] = random.random,
        throttle_budget: float = THROTTLE_BUDGET,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._client = client
        # Told each answer by the path's template, never the path (ids, hashed addresses).
        self.telemetry = telemetry
        self._max_retries = max_retries
        self._throttle_budget = throttle_budget
        self._sleep = sleep
        self._gate = gate
        self._jitter = jitter
        self.counter = Counter()

    def close(self) -> None:
        self._client.close()

    def backoff(self, retry: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(cap, base·2^retry))."""
        return self._jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2.0**retry)

    def throttle_wait(self, throttles: int) -> float:
        """Half the step for sure, the other half jittered: min(cap, base·2^n)·[0.5, 1)."""
        step = min(THROTTLE_CAP, THROTTLE_BASE * 2.0**throttles)
        return step * (0.5 + 0.5 * self._jitter())

    def send(
        self,
        method: str,
        path: str,
        *,
        template: str,
        idempotent: bool = True,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Returns the first response that is not worth retrying (success or a final error).

        Non-idempotent requests are repeated only when MailChimp cannot have acted on them.
        Raises RateLimited or MailChimpUnavailable once the retries are spent.
        """
        retry = 0  # 5xx and transport failures
        throttles, waited = 0, 0.0  # 429s, and how long they were waited out
        while True:
            started = time.monotonic()
            try:
                with self._gated():
                    self.counter.add()
                    response = self._client.request(
                        method,
                        path,
                        params=params,
                        json=json,
                        data=data,
                        headers=headers,
                        timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
                    )
            except httpx.TransportError as exc:
                elapsed = time.monotonic() - started
                log.debug(
                    "%s %s failed: %s after %.3fs", method, template, type(exc).__name__, elapsed
                )
                self.telemetry.mailchimp_request(method, template, "transport_error")
                if retry >= self._max_retries or (
                    not idempotent and not isinstance(exc, _NOT_SENT_ERRORS)
                ):
                    host = self._client.base_url.host or "MailChimp"
                    raise MailChimpUnavailable(
                        0,
                        f"MailChimp could not be reached at {host}",
                        f"{type(exc).__name__} on {method} {template}",
                        code="mailchimp.unreachable",
                        facts={"host": host, "call": f"{method} {template}"},
                    ) from exc
                self.telemetry.mailchimp_retried("transport_error")
                self._sleep(self.backoff(retry))
                retry += 1
                continue
            elapsed = time.monotonic() - started
            log.debug("%s %s -> %d in %.3fs", method, template, response.status_code, elapsed)
            status = response.status_code
            self.telemetry.mailchimp_request(method, template, str(status))
            if throttled(response):
                status = 429  # a 403 without a body is MailChimp's throttle at high volume
            if status not in RETRY_STATUSES:
                return response
            if status == 429:
                wait = retry_after(response)
                wait = self.throttle_wait(throttles) if wait is None else max(wait, THROTTLE_FLOOR)
                if waited + wait > self._throttle_budget:
                    problem = problem_of(response)
                    raise RateLimited(
                        429,
                        problem.title or "Too Many Requests",
                        f"MailChimp still throttled this account after {waited:.0f} s of waiting",
                        code="mailchimp.throttled",
                        facts={"seconds": round(waited), "call": f"{method} {template}"},
                    )
                self.telemetry.mailchimp_throttled()
                self._sleep(wait)
                throttles, waited = throttles + 1, waited + wait
                continue
            if retry >= self._max_retries or (
                not idempotent and status not in _NOT_PROCESSED_STATUSES
            ):
                problem = problem_of(response)
                raise MailChimpUnavailable(
                    status,
                    problem.title,
                    problem.detail,
                    code="mailchimp.unavailable",
                    facts=_unavailable_facts(problem, method, template),
                )
            wait = retry_after(response)
            self.telemetry.mailchimp_retried("server_error")
            self._sleep(self.backoff(retry) if wait is None else wait)
            retry += 1

    def _gated(self) -> AbstractContextManager[object]:
        return self._gate if self._gate is not None else nullcontext()


def _unavailable_facts(problem: Problem, method: str, template: str) -> dict[str, Any]:
    """The call and MailChimp's answer; on the login host (OAuth) the status only: what it
    says there may be about the code or the client secret just sent."""
    if template.startswith("/oauth2/"):
        return {"status": problem.status, "call": f"{method} {template}"}
    return {**refused_facts(problem), "call": f"{method} {template}"}

"""A connection limit shared by every process of a fleet, kept in Redis.

The in-process gate (gates.py) holds MailChimp's 10 connections per account (docs/mailchimp-api.md §7.1)
inside one process. Several worker processes syncing tenants of one MailChimp account at the
same moment need one count between them: with CS_MAILCHIMP_LIMITER_URL set, each request also
takes a slot in a Redis sorted set named after the account. A slot carries an expiry, so a
process that dies holding slots frees them within SLOT_TTL_S; the clock is Redis's own, so hosts
whose clocks disagree still agree on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

from calendarspots_mailchimp.core.errors import ConfigurationError

# Longer than the slowest call we make: batch subscribe gives MailChimp 120 s per read and
# write (§7.1), so twice that plus the connect time, with room to spare.
SLOT_TTL_S = 300.0
KEY_PREFIX = "csmc:mailchimp-connections:"

# KEYS[1] the account's set; ARGV: slot id, limit, ttl in ms. Returns 1 when a slot was taken.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""


try:  # redis-py is optional (the `worker` extra): without it no SharedGate is ever made
    from redis.exceptions import RedisError

    RedisUnavailable: tuple[type[Exception], ...] = (RedisError,)
except ImportError:  # pragma: no cover - depends on the installed extras
    RedisUnavailable = ()

log = logging.getLogger(__name__)
_last_warning = [0.0]
# After a Redis failure, requests skip the limiter for this long rather than each waiting
# for a connect timeout of their own.
BREAKER_S = 30.0
_skip_until = [0.0]


def _warn(message: str) -> None:
    """At most one warning a minute per process."""
    now = time.monotonic()
    if now - _last_warning[0] >= 60:
        _last_warning[0] = now
        log.warning(message)


class SharedGate:
    """A counting semaphore in Redis, used as a context manager (one slot per `with`), safe to
    share between threads."""

    def __init__(
        self,
        client: Any,  # redis.Redis: typed loosely, redis is an optional dependency
        key: str,
        limit: int,
        ttl: float = SLOT_TTL_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._key = KEY_PREFIX + key
        self._limit = limit
        self._ttl_ms = int(ttl * 1000)
        self._sleep = sleep
        self._acquire = client.register_script(_ACQUIRE)
        self._held = threading.local()

    def __enter__(self) -> SharedGate:
        slot: str | None = uuid.uuid4().hex
        wait = 0.005
        try:
            if time.monotonic() < _skip_until[0]:
                slot = None
            else:
                while not self._acquire(keys=[self._key], args=[slot, self._limit, self._ttl_ms]):
                    self._sleep(wait)
                    wait = min(wait * 2, 0.1)
        except RedisUnavailable as exc:  # a tuple of exception types
            # The fleet-wide count is a courtesy to MailChimp, which enforces its limit itself
            # with a 429 we retry: a Redis outage must not stop the syncs. The process's own
            # gate still holds.
            _skip_until[0] = time.monotonic() + BREAKER_S
            _warn(f"the connection limiter is unavailable ({type(exc).__name__}); going on")
            slot = None
        stack: list[str | None] = getattr(self._held, "slots", [])
        stack.append(slot)
        self._held.slots = stack
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        slot = self._held.slots.pop()
        if slot is None:
            return
        with contextlib.suppress(*RedisUnavailable):  # else the slot expires by itself
            self._client.zrem(self._key, slot)

    def in_use(self) -> int:
        """Slots held now, across every process (expired ones excluded)."""
        now_s, now_us = self._client.time()
        return int(self._client.zcount(self._key, f"({now_s * 1000 + now_us // 1000}", "+inf"))


class BothGates:
    """The process's gate, then the fleet's: a thread waits here before it takes a Redis slot."""

    def __init__(self, local: threading.BoundedSemaphore, shared: SharedGate) -> None:
        self.local = local
        self.shared = shared

    def __enter__(self) -> BothGates:
        self.local.acquire()
        try:
            self.shared.__enter__()
        except BaseException:
            self.local.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.shared.__exit__(exc_type, exc, tb)
        finally:
            self.local.release()


def redis_client(url: str) -> Any:
    """A Redis client for CS_MAILCHIMP_LIMITER_URL (redis-py comes with the `worker` extra)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            "CS_MAILCHIMP_LIMITER_URL needs the redis package: "
            "pip install 'calendarspots-mailchimp[worker]'",
            code="setting.redis_package",
            facts={"name": "CS_MAILCHIMP_LIMITER_URL"},
        ) from exc
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

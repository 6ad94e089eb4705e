"""The fleet-wide connection limit in Redis (CS_MAILCHIMP_LIMITER_URL), against the real
Redis server CI runs on 127.0.0.1:6379."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp import shared_gate
from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector
from calendarspots_mailchimp.adapters.mailchimp.shared_gate import (
    KEY_PREFIX,
    SharedGate,
    redis_client,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis() -> Iterator[Any]:
    client = redis_client(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # the suite's scripts/services.sh starts it; say so if it is not
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}); run scripts/services.sh")
    yield client
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        client.delete(key)
    client.close()


def test_separate_gates_on_one_account_never_exceed_the_limit_together(redis: Any) -> None:
    """Each thread has its own gate and its own Redis client, as separate processes would."""
    key, limit = f"account-{uuid.uuid4().hex}", 3
    lock = threading.Lock()
    state = {"now": 0, "peak": 0, "done": 0}

    def worker() -> None:
        gate = SharedGate(redis_client(REDIS_URL), key, limit)
        for _ in range(5):
            with gate:
                with lock:
                    state["now"] += 1
                    state["peak"] = max(state["peak"], state["now"])
                time.sleep(0.01)
                with lock:
                    state["now"] -= 1
                    state["done"] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert state["done"] == 40
    assert state["peak"] == limit  # reached, never passed
    assert SharedGate(redis, key, limit).in_use() == 0


def test_a_slot_of_a_process_that_died_expires(redis: Any) -> None:
    key = f"account-{uuid.uuid4().hex}"
    dead = SharedGate(redis, key, 1, ttl=0.3)
    dead.__enter__()  # never released: its process was killed
    alive = SharedGate(redis, key, 1, ttl=0.3)
    started = time.monotonic()
    with alive:
        waited = time.monotonic() - started
        assert alive.in_use() == 1
    assert waited >= 0.2  # it had to wait for the dead slot to expire
    assert alive.in_use() == 0


def test_the_connector_takes_a_redis_slot_for_every_request(redis: Any) -> None:
    seen: list[int] = []
    gate_of: dict[str, SharedGate] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(gate_of["gate"].in_use())
        return httpx.Response(200, json={"account_id": "acc-7"})

    connector = HttpMailChimpConnector(
        "https://login.example.test",
        "client",
        "secret",
        transport=httpx.MockTransport(handle),
        limiter_url=REDIS_URL,
    )
    account = connector.account("https://us1.api.example.test", "token", "acc-7")
    gate = account._http._gate  # the test looks at what the connector wired
    gate_of["gate"] = gate.shared  # type: ignore[union-attr]
    assert account.account_id() == "acc-7"
    assert account.account_id() == "acc-7"
    assert seen == [1, 1]  # one slot held during each request ...
    assert gate_of["gate"].in_use() == 0  # ... and given back after it
    account.close()
    connector.close()


def test_a_redis_outage_does_not_stop_requests(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MailChimp enforces its limit itself (429, retried): the fleet-wide count is a courtesy."""
    monkeypatch.setattr(shared_gate, "_last_warning", [0.0])  # warned at most once a minute
    monkeypatch.setattr(shared_gate, "_skip_until", [0.0])
    calls: list[str] = []

    class Down:
        """A Redis that refuses every command: unreachable, read-only or out of memory."""

        def register_script(self, _script: str) -> Any:
            def run(**_: Any) -> int:
                calls.append("acquire")
                raise shared_gate.RedisUnavailable[0]("READONLY You can't write against a replica")

            return run

        def zrem(self, *_: Any) -> int:
            calls.append("release")
            raise shared_gate.RedisUnavailable[0]("down")

    gate = SharedGate(Down(), f"account-{uuid.uuid4().hex}", 2)
    for _ in range(3):
        with gate:
            pass
    assert "connection limiter is unavailable" in caplog.text
    assert calls == ["acquire"]  # then skipped for a while, not asked again every request
    unreachable = SharedGate(redis_client("redis://127.0.0.1:1/0"), "other", 2)
    monkeypatch.setattr(shared_gate, "_skip_until", [0.0])
    with unreachable:  # a connection refused is an outage too
        pass

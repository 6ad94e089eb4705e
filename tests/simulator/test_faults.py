from __future__ import annotations

import threading

import httpx
import pytest

from calendarspots_mailchimp.simulator import (
    Account,
    Fault,
    RunningSimulator,
    SimList,
    Simulator,
)


def test_429_with_retry_after_then_normal(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    sim.inject_fault(Fault(status=429, count=2, retry_after=3, path_prefix="/3.0/lists"))
    assert api.get("/ping").status_code == 200  # prefix does not match
    for _ in range(2):
        answer = api.get("/lists")
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "3"
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["title"] == "Too Many Requests"
    assert api.get("/lists").status_code == 200
    assert sim.stats.count("GET", "/3.0/lists") == 3


def test_fault_method_filter_and_5xx_kinds(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    sim.inject_fault(Fault(status=500, method="POST"))
    assert api.get("/lists").status_code == 200
    failed = api.post(f"/lists/{audience.list_id}", json={"members": []})
    assert failed.status_code == 500
    assert failed.json()["title"] == "Internal Server Error"
    sim.inject_fault(Fault(status=503))
    proxy = api.get("/ping")
    assert proxy.status_code == 503
    assert proxy.headers["content-type"].startswith("text/html")
    sim.inject_fault(Fault(status=504))
    assert api.get("/ping").status_code == 504
    sim.inject_fault(Fault(status=502))
    assert api.get("/ping").json()["status"] == 502
    sim.inject_fault(Fault(status=500, count=5))
    sim.clear_faults()
    assert api.get("/ping").status_code == 200


def test_latency_fault_makes_a_client_time_out(
    running: RunningSimulator, sim: Simulator, token: str
) -> None:
    sim.inject_fault(Fault(latency=2.0))
    with httpx.Client(
        base_url=running.url, headers={"Authorization": f"Bearer {token}"}, timeout=0.2
    ) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get("/3.0/ping")
        # The fault is spent: the next request is answered (a generous timeout, so a loaded
        # machine running other suites, browsers among them, does not fail it).
        assert c.get("/3.0/ping", timeout=10).status_code == 200


def test_dropped_connection(running: RunningSimulator, sim: Simulator, token: str) -> None:
    sim.inject_fault(Fault(drop=True))
    with httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {token}"}) as c:
        with pytest.raises(httpx.TransportError):
            c.get("/3.0/ping")
        assert c.get("/3.0/ping").status_code == 200


def test_invalid_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="status"):
        Fault(status=404)
    with pytest.raises(ValueError, match="needs"):
        Fault()


def test_connection_cap_of_ten_per_account(
    sim: Simulator, running: RunningSimulator, account: Account, token: str
) -> None:
    sim.latency = 0.5
    other = sim.create_account(login="o@example.com", account_name="O")
    other_token = sim.issue_token(other.account_id)
    barrier = threading.Barrier(12)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(bearer: str) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {bearer}"}, timeout=10) as client:
            barrier.wait()
            status = client.get(running.url + "/3.0/ping").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call, args=(token,)) for _ in range(11)]
    threads.append(threading.Thread(target=call, args=(other_token,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(429) >= 1
    assert statuses.count(200) >= 10  # ten for the busy account + the other account's call
    assert sim.stats.peak_concurrency[account.account_id] == 10
    assert sim.stats.peak_concurrency[other.account_id] == 1
    assert sim.stats.connections_refused == statuses.count(429)
    sim.latency = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        refused = client.get(running.url + "/3.0/ping")
    assert refused.status_code == 200
    assert sim.limiter.in_flight(account.account_id) == 0


def test_429_body_of_the_cap() -> None:
    from calendarspots_mailchimp.simulator.faults import ConnectionLimiter

    limiter = ConnectionLimiter(limit=2)
    assert limiter.acquire("a") == 1
    assert limiter.acquire("a") == 2
    assert limiter.acquire("a") is None
    assert limiter.acquire("b") == 1
    limiter.release("a")
    assert limiter.acquire("a") == 2


def test_stats_count_routes_and_reset(sim: Simulator, api: httpx.Client, audience: SimList) -> None:
    api.get(f"/lists/{audience.list_id}/members/a@example.com")
    api.get(f"/lists/{audience.list_id}/members/b@example.com")
    assert sim.stats.count("GET", "/3.0/lists/{list_id}/members/{subscriber_hash}") == 2
    assert sim.stats.total_api_requests == 2
    sim.stats.reset()
    assert sim.stats.total_api_requests == 0
    assert sim.stats.requests == {}

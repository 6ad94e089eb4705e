"""The nightly fan-out on Celery: two real worker processes (`cs-mailchimp worker`) on the real
Redis broker and a fresh PostgreSQL database; every tenant is enqueued twice and synced once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.databases import postgres_database
from support.harness import World, make_world, sample_rows
from support.workers import (
    completions,
    connect_tenant,
    forget_queue,
    night_zone,
    start_worker,
    stop,
    wait_for_completions,
)

from calendarspots_mailchimp.core.model import ConnectionState, SyncKind, SyncStatus

TENANTS = 50
WORKERS = 2

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Always PostgreSQL: workers in separate processes share one database."""
    with postgres_database("csmc_worker") as url:
        yield url


@pytest.fixture
def pg_world(pg_url: str) -> Iterator[World]:
    w = make_world(pg_url)
    try:
        yield w
    finally:
        w.close()


def node_names(logs: list[Path]) -> set[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in logs)
    return set(re.findall(r"(csmc-\d+@\S+) ready", text))


@pytest.mark.parametrize(
    ("pool", "concurrency"),
    [
        pytest.param("prefork", 2, id="prefork-2-processes"),
        # Several tenants at once in each worker process, sharing its engine and connector.
        pytest.param("threads", 8, id="threads-8"),
    ],
)
def test_two_workers_sync_each_tenant_exactly_once(
    pg_world: World, tmp_path: Path, pool: str, concurrency: int
) -> None:
    world = pg_world
    zone = night_zone(datetime.now(UTC))
    tenants = [f"t{i:02d}" for i in range(TENANTS)]
    for tenant_id in tenants:
        connect_tenant(world, tenant_id, zone)
    queue = f"csmc-test-{uuid.uuid4().hex}"
    logs = [tmp_path / f"worker{i}.log" for i in range(WORKERS)]
    handles = [path.open("w", encoding="utf-8") for path in logs]
    workers = [
        start_worker(world, queue, handle, tmp_path, concurrency, pool) for handle in handles
    ]
    try:
        # Enqueued twice, as by two overlapping crons: the second copy must not sync again.
        for _ in range(2):
            result = world.cli("enqueue", "--queue", queue, "--json")
            assert result.exit_code == 0, result.output
            assert f'"{tenants[-1]}"' in result.output
        wait_for_completions(logs, workers, 2 * TENANTS, 120)
    finally:
        stop(workers, handles)
        forget_queue(queue)

    assert len(node_names(logs)) == WORKERS  # each worker has a name of its own

    outcomes = completions(logs)
    assert sum("'outcome': 'synced'" in o for o in outcomes) == TENANTS, outcomes
    assert not [o for o in outcomes if "'outcome': 'failed'" in o]
    with world.uow() as uow:
        for tenant_id in tenants:
            runs = uow.scope(tenant_id).runs.latest(10)
            assert [(r.kind, r.status) for r in runs] == [
                (SyncKind.NIGHTLY, SyncStatus.SUCCEEDED)
            ], tenant_id
            tenant = uow.tenants.get(tenant_id)
            assert tenant is not None and tenant.last_sync_local_date is not None
    assert len(world.sim.stats.peak_concurrency) == TENANTS
    assert max(world.sim.stats.peak_concurrency.values()) <= 10


def test_workers_keep_a_shared_account_within_its_connection_limit(
    pg_world: World, tmp_path: Path
) -> None:
    """Two tenants authorized on one MailChimp account, synced at once by two worker
    processes: with CS_MAILCHIMP_LIMITER_URL they share the account's connections. Each has
    an audience of its own there (R1: two tenants never share one), by its own list name."""
    world = pg_world
    zone = night_zone(datetime.now(UTC))
    side = world.mailchimp(login="shared@example.com")
    south = world.sim.create_list(side.account_id, name="calendarspots-sud", with_birthday=True)
    list_names = {"north": "calendarspots", "south": "calendarspots-sud"}
    for n, tenant_id in enumerate(("north", "south")):
        world.add_tenant(tenant_id, timezone=zone)
        world.import_rows(tenant_id, sample_rows(1500, start=1500 * n))
        token = world.sim.issue_token(side.account_id)
        with world.uow() as uow:
            uow.scope(tenant_id).token.put(world.box.encrypt(token))
            tenant = uow.tenants.get(tenant_id)
            assert tenant is not None
            connected = replace(
                tenant,
                api_endpoint=world.sim_url,
                account_name="Shared",
                account_id=side.account_id,
                list_name=list_names[tenant_id],
            )
            uow.tenants.save(connected.with_state(ConnectionState.CONNECTED))
            uow.commit()
    world.sim.latency = 0.1  # every batch call overlaps the other process's
    queue = f"csmc-test-{uuid.uuid4().hex}"
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    handles = [path.open("w", encoding="utf-8") for path in logs]
    limits = {
        "CS_MAILCHIMP_MAX_CONNECTIONS": "2",
        "CS_MAILCHIMP_LIMITER_URL": "redis://127.0.0.1:6379/15",
    }
    # One task at a time per process: the two tenants run in two processes.
    workers = [start_worker(world, queue, h, tmp_path, 1, **limits) for h in handles]
    try:
        result = world.cli("enqueue", "--queue", queue, "--json")
        assert result.exit_code == 0, result.output
        wait_for_completions(logs, workers, 2, 90)
    finally:
        stop(workers, handles)
        forget_queue(queue)

    outcomes = completions(logs)
    assert sum("'outcome': 'synced'" in o for o in outcomes) == 2, outcomes
    assert len(world.members(side.list_id)) == len(world.members(south.list_id)) == 1500
    assert world.sim.stats.peak_concurrency[side.account_id] <= 2

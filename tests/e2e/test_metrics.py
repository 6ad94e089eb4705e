"""Prometheus metrics, scraped from the running app as Prometheus would: the fleet read from the
database, and the counters of every process (the server's own, and Celery workers' through
PROMETHEUS_MULTIPROC_DIR)."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.databases import postgres_database
from support.harness import World, make_world, sample_rows
from support.waiting import eventually
from support.workers import (
    COMMAND,
    connect_tenant,
    forget_queue,
    night_zone,
    start_worker,
    stop,
    wait_for_completions,
    world_env,
)

from calendarspots_mailchimp.simulator import Fault

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(world: World, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{world.app_url}/metrics", headers=headers)


def samples(world: World) -> Samples:
    response = scrape(world, world.settings.admin_token)
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def total(found: Samples, name: str, **labels: str) -> float:
    """Summed over the labels not given."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= ls)


def test_metrics_are_behind_the_admin_token(world: World) -> None:
    assert scrape(world).status_code == 401
    assert scrape(world, "wrong").status_code == 401
    assert scrape(world, world.settings.admin_token).status_code == 200


def test_the_fleet_and_the_webhook_deliveries_are_counted(world: World) -> None:
    world.add_tenant("salon")
    world.add_tenant("spa")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.sim.unsubscribe(side.list_id, "client1@example.com")
    assert eventually(lambda: "contact.unsubscribed" in world.kinds("salon"))

    text = scrape(world, world.settings.admin_token).text
    found = samples(world)

    assert text.startswith("# HELP")
    assert value(found, "csmc_tenants", state="connected") == 1
    assert value(found, "csmc_tenants", state="not_connected") == 1
    assert ("csmc_tenants_overdue", frozenset()) in found
    assert ("csmc_last_night_syncs", frozenset({("outcome", "not_run")})) in found
    assert value(found, "csmc_webhook_events_total", type="unsubscribe", outcome="stored") == 1
    assert value(found, "csmc_webhook_oldest_unapplied_age_seconds") == 0


def test_syncs_and_mailchimp_requests_are_counted_by_template(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(30))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]  # the initial sync
    members = f"/3.0/lists/{side.list_id}/members/"  # the new clients are sent one by one
    world.import_rows("salon", sample_rows(3, start=100))
    world.sim.inject_fault(Fault(status=429, retry_after=0.1, path_prefix=members))
    world.sim.inject_fault(Fault(status=503, path_prefix=members))
    assert world.sync_json("salon")["status"] == "succeeded"
    assert world.sim.faults.pending() == []

    found = samples(world)

    assert value(found, "csmc_syncs_total", kind="initial", outcome="succeeded") == 1
    assert value(found, "csmc_syncs_total", kind="manual", outcome="succeeded") == 1
    assert value(found, "csmc_sync_duration_seconds_count", kind="manual") == 1
    assert value(found, "csmc_sync_duration_seconds_sum", kind="manual") > 0
    member = "/lists/{list_id}/members/{subscriber_hash}"
    assert total(found, "csmc_mailchimp_requests_total", endpoint=member, status="429") == 1
    assert total(found, "csmc_mailchimp_requests_total", endpoint=member, status="503") == 1
    assert total(found, "csmc_mailchimp_requests_total", endpoint=member, status="200") >= 3
    token = {"method": "POST", "endpoint": "/oauth2/token", "status": "200"}
    assert value(found, "csmc_mailchimp_requests_total", **token) == 1
    assert value(found, "csmc_mailchimp_throttles_total") == 1
    assert value(found, "csmc_mailchimp_retries_total", reason="server_error") == 1
    endpoints = {
        dict(labels)["endpoint"]
        for (name, labels) in found
        if name == "csmc_mailchimp_requests_total"
    }
    assert "/lists/{list_id}/merge-fields" in endpoints
    # Templates only: no audience id, no address, no subscriber hash in any label.
    for endpoint in endpoints:
        assert side.list_id not in endpoint and "@" not in endpoint
        assert not re.search(r"[0-9a-f]{32}", endpoint), endpoint  # a subscriber hash


def test_the_oldest_unapplied_webhook_event_has_an_age(world: World) -> None:
    world.add_tenant("salon")
    world.container.inbox_applier().stop()  # the rows below stay unapplied while scraped
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with world.uow() as uow:
        uow.scope("salon").inbox.add("waiting", an_hour_ago, {"type": "unsubscribe"})
        uow.scope("salon").inbox.add("newer", an_hour_ago + timedelta(minutes=30), {})
        uow.commit()

    age = value(samples(world), "csmc_webhook_oldest_unapplied_age_seconds")

    assert 3600 <= age < 3600 + 600


@pytest.fixture
def shared_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """PostgreSQL (workers in other processes share it), and the metrics directory every
    process of the fleet shares, set before the server starts."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    with postgres_database("csmc_metrics") as url:
        w = make_world(url)
        try:
            yield w
        finally:
            w.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_celery_workers_syncs_show_in_the_servers_scrape(
    shared_world: World, tmp_path: Path
) -> None:
    world = shared_world
    zone = night_zone(datetime.now(UTC))
    tenants = ["north", "south", "east"]
    for tenant_id in tenants:
        connect_tenant(world, tenant_id, zone)
    before = samples(world)
    assert total(before, "csmc_syncs_total") == 0
    queue = f"csmc-test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    handle = log.open("w", encoding="utf-8")
    workers = [start_worker(world, queue, handle, tmp_path, CS_MAILCHIMP_LOG_FORMAT="json")]
    try:
        result = world.cli("enqueue", "--queue", queue, "--json")
        assert result.exit_code == 0, result.output
        wait_for_completions([log], workers, len(tenants), 60)
    finally:
        stop(workers, [handle])
        forget_queue(queue)

    found = samples(world)

    assert value(found, "csmc_syncs_total", kind="nightly", outcome="succeeded") == 3
    assert value(found, "csmc_sync_duration_seconds_count", kind="nightly") == 3
    assert total(found, "csmc_mailchimp_requests_total", endpoint="/lists") >= 3
    assert total(found, "csmc_mailchimp_requests_total", status="200") > 3 * 3
    # The worker's log lines are JSON (Celery's start-up banner aside), a sync's with its ids.
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    ended = [x for x in lines if x["message"] == "sync ended: succeeded"]
    assert sorted(x["tenant"] for x in ended) == sorted(tenants)
    assert all(isinstance(x["run"], int) for x in ended)
    assert any(x["logger"] == "celery.app.trace" for x in lines)


def test_a_metrics_directory_that_is_not_there_is_a_configuration_error(
    world: World, tmp_path: Path
) -> None:
    env = world_env(world, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing"))

    done = subprocess.run(
        [COMMAND, "sync", "salon"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("error: PROMETHEUS_MULTIPROC_DIR must name an existing")

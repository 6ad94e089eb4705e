"""R4 through `cs-mailchimp nightly --now`, and the per-tenant lease."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.harness import World, sample_rows

from calendarspots_mailchimp.core.model import SyncKind, SyncStatus
from calendarspots_mailchimp.ports.clock import FixedClock

# 04:55 in Montreal (inside the 01:00-05:00 window whatever the tenant's start offset),
# 10:55 in Paris (daytime).
NIGHT_IN_MONTREAL = "2031-03-04T09:55:00+00:00"


def connect(world: World, tenant: str, timezone: str) -> str:
    world.add_tenant(tenant, timezone=timezone)
    world.import_rows(tenant, sample_rows(3))
    side = world.mailchimp(login=f"{tenant}@example.com")
    assert world.authorize(tenant)["ok"]
    return side.list_id


def test_nightly_syncs_only_the_tenant_whose_night_has_come(world: World) -> None:
    connect(world, "montreal", "America/Montreal")
    connect(world, "paris", "Europe/Paris")
    paris_before = world.tenant("paris").last_sync_local_date

    result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL, "--json")

    assert result.exit_code == 0, result.output
    synced = json.loads(result.stdout)["synced"]
    assert [s["tenant"] for s in synced] == ["montreal"]
    assert synced[0]["ok"] is True
    assert str(world.tenant("montreal").last_sync_local_date) == "2031-03-04"
    assert world.tenant("paris").last_sync_local_date == paris_before
    with world.uow() as uow:
        runs = uow.scope("montreal").runs.latest(1)
    assert (runs[0].kind, runs[0].status) == (SyncKind.NIGHTLY, SyncStatus.SUCCEEDED)

    again = world.cli("nightly", "--now", "2031-03-04T09:58:00+00:00", "--json")
    assert json.loads(again.stdout)["synced"] == []  # once per local night


def test_a_pretended_night_stamps_the_activity_log_with_the_real_time(world: World) -> None:
    connect(world, "montreal", "America/Montreal")
    before = datetime.now(UTC)
    assert world.cli("nightly", "--now", NIGHT_IN_MONTREAL).exit_code == 0
    after = world.cli("sync", "montreal")  # a real-time sync after the pretended night
    assert after.exit_code == 0, after.output
    entries = world.entries("montreal")
    assert [e.kind for e in entries[:2]] == ["sync.succeeded", "sync.succeeded"]
    stamps = [e.at for e in entries]
    assert stamps == sorted(stamps, reverse=True)  # newest first, by time as well
    assert all(before - timedelta(seconds=5) <= e.at <= datetime.now(UTC) for e in entries[:2])


def test_a_failed_nightly_says_so_on_stderr(world: World) -> None:
    list_id = connect(world, "montreal", "America/Montreal")
    world.sim.delete_list(list_id)

    result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL)

    assert result.exit_code == 11
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "error: the nightly sync failed for 1 tenant(s): montreal"
    assert lines[0].startswith("attention: montreal: The MailChimp audience")
    assert "montreal: FAILED" in result.stdout


def test_nightly_is_never_silent_about_a_tenant_that_needs_someone(world: World) -> None:
    """Nothing is due, but a revoked tenant is told at every run, with the fix."""
    connect(world, "montreal", "America/Montreal")
    assert world.cli("sync", "montreal").exit_code == 0
    for account in list(world.sim.state()["accounts"]):
        world.sim.revoke_tokens(account["account_id"])
    assert world.cli("sync", "montreal").exit_code == 5  # learns it was revoked

    quiet = world.cli("nightly", "--now", "2031-03-04T18:00:00+00:00")
    data = json.loads(world.cli("nightly", "--now", "2031-03-04T18:00:00+00:00", "--json").stdout)

    assert quiet.exit_code == 0 and "no tenant is due" in quiet.stdout
    assert "attention: montreal: MailChimp refused the plugin's authorization" in quiet.stderr
    assert "cs-mailchimp connect montreal" in quiet.stderr
    assert [(a["tenant"], a["code"]) for a in data["attention"]] == [("montreal", "reauthorize")]


def hold_lease(world: World, tenant: str, holder: str, until: datetime) -> None:
    with world.uow() as uow:
        assert uow.scope(tenant).leases.acquire(holder, datetime.now(UTC), until)
        uow.commit()


def test_a_held_lease_refuses_a_second_sync(world: World) -> None:
    connect(world, "salon", "America/Montreal")
    hold_lease(world, "salon", "another-process", datetime.now(UTC) + timedelta(minutes=20))
    world.sim.stats.reset()

    result = world.cli("sync", "salon")

    assert result.exit_code == 8, result.output
    assert "another process" in result.output
    assert world.sim.stats.total_api_requests == 0


def test_an_expired_lease_is_taken_over(world: World) -> None:
    connect(world, "salon", "America/Montreal")
    # A process took the lease, then died: its lease ran out a second ago.
    hold_lease(world, "salon", "a-dead-process", datetime.now(UTC) - timedelta(seconds=1))

    result = world.cli("sync", "salon", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "succeeded"
    with world.uow() as uow:  # released at the end: anyone may take it now
        assert uow.scope("salon").leases.acquire("next", datetime.now(UTC), datetime.now(UTC))


def test_a_second_scheduler_that_found_the_tenant_due_skips_once_the_night_is_done(
    world: World,
) -> None:
    connect(world, "montreal", "America/Montreal")
    at = datetime.fromisoformat(NIGHT_IN_MONTREAL)
    world.container.clock.override(FixedClock(at))
    first, second = world.container.nightly_service(), world.container.nightly_service()
    assert [d.tenant_id for d in second.due(at)] == ["montreal"]  # both see it due
    assert first.run_one("montreal").ok
    world.sim.stats.reset()

    late = second.run_one("montreal")

    assert late.skipped and late.ok
    assert world.sim.stats.total_api_requests == 0
    with world.uow() as uow:
        nightly = [r for r in uow.scope("montreal").runs.latest(10) if r.kind == SyncKind.NIGHTLY]
    assert len(nightly) == 1


def test_the_heartbeat_keeps_a_long_run_s_lease_and_stops_with_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calendarspots_mailchimp.core.services.sync import lease

    world.add_tenant("salon")
    clock = FixedClock(datetime(2031, 3, 4, 9, 0, tzinfo=UTC))
    world.container.clock.override(clock)
    uow = world.uow
    monkeypatch.setattr(lease, "LEASE_HEARTBEAT", timedelta(milliseconds=20))
    holder = lease.new_holder()
    with uow() as unit:
        assert unit.scope("salon").leases.acquire(
            holder, clock.now(), clock.now() + lease.LEASE_TTL
        )
        unit.commit()

    def free_for_someone_else() -> bool:
        now = clock.now()
        with uow() as unit:
            taken = unit.scope("salon").leases.acquire("someone-else", now, now)
            unit.rollback()
        return taken

    with lease.Heartbeat(uow, clock, "salon", holder):
        clock.advance(minutes=10)  # far past the TTL: only the beats keep it
        time.sleep(0.3)
        assert not free_for_someone_else()
    clock.advance(minutes=10)
    assert free_for_someone_else()  # no beat after the run: the lease lapses


def test_a_tenant_another_process_is_syncing_is_reported_busy_not_failed_for_good(
    world: World,
) -> None:
    connect(world, "montreal", "America/Montreal")
    with world.uow() as uow:
        now = world.clock.now()
        assert uow.scope("montreal").leases.acquire(
            "other-host:1:x", now, now + timedelta(minutes=1)
        )
        uow.commit()

    outcome = world.container.nightly_service().run_one("montreal")

    assert (outcome.ok, outcome.busy, outcome.skipped) == (False, True, False)


def test_nightly_says_busy_for_a_tenant_being_synced_and_does_not_fail(world: World) -> None:
    connect(world, "montreal", "America/Montreal")
    hold_lease(world, "montreal", "other-host:1:x", datetime.now(UTC) + timedelta(minutes=1))

    result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL)

    assert result.exit_code == 0, result.output
    assert "montreal: busy: tenant 'montreal' is being synced by another process" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("pretended", ["2031-03-04T09:55:00+00:00", "2020-03-04T09:55:00+00:00"])
def test_a_pretended_instant_never_takes_over_a_live_lease(world: World, pretended: str) -> None:
    """`--now` moves the schedule only: a lease held now, in real time, still holds."""
    connect(world, "montreal", "America/Montreal")
    hold_lease(world, "montreal", "other-host:1:x", datetime.now(UTC) + timedelta(minutes=1))

    result = world.cli("nightly", "--now", pretended, "--json")

    synced = json.loads(result.stdout)["synced"]
    if synced:  # the pretended instant is inside the tenant's night
        assert synced[0]["busy"] is True and synced[0]["ok"] is False
    with world.uow() as uow:
        assert uow.scope("montreal").leases.holder() == "other-host:1:x"
        runs = uow.scope("montreal").runs.latest(5)
    assert [r.kind for r in runs] == [SyncKind.INITIAL]  # no nightly run started


def test_a_throttle_longer_than_the_budget_fails_the_night_cleanly_and_it_stays_due(
    tmp_path: Path,
) -> None:
    from support.databases import fresh_database
    from support.harness import make_world

    from calendarspots_mailchimp.simulator import Fault

    with fresh_database(tmp_path) as url:
        world = make_world(url, throttle_budget=0.5)  # seconds of 429s waited out per request
        try:
            connect(world, "montreal", "America/Montreal")
            world.sim.inject_fault(
                Fault(status=429, count=1000, path_prefix="/3.0", retry_after=0.2)
            )

            result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL, "--json")

            assert result.exit_code == 11, result.output
            [night] = json.loads(result.stdout)["synced"]
            assert night["ok"] is False and "throttled" in night["message"]
            assert "montreal" in result.stderr
            # The night is not marked done: the tenant stays due, and a later run syncs it.
            night_date = datetime(2031, 3, 4).date()
            assert world.tenant("montreal").last_sync_local_date != night_date
            world.sim.clear_faults()
            again = world.cli("nightly", "--now", NIGHT_IN_MONTREAL, "--json")
            assert again.exit_code == 0, again.output
            assert world.tenant("montreal").last_sync_local_date == night_date
        finally:
            world.close()


def _run_spans(world: World, tenants: list[str]) -> list[tuple[datetime, datetime]]:
    spans = []
    with world.uow() as uow:
        for tenant in tenants:
            (run,) = [r for r in uow.scope(tenant).runs.latest(5) if r.kind == SyncKind.NIGHTLY]
            assert run.status == SyncStatus.SUCCEEDED and run.finished_at is not None
            spans.append((run.started_at, run.finished_at))
    return spans


def _overlapping(spans: list[tuple[datetime, datetime]]) -> bool:
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


@pytest.mark.parametrize("concurrency", [1, 3])
def test_nightly_syncs_tenants_concurrently_each_once_in_schedule_order(
    world: World, concurrency: int
) -> None:
    tenants = [f"salon{i}" for i in range(5)]
    for tenant in tenants:
        connect(world, tenant, "America/Montreal")
    world.sim.latency = 0.05  # every MailChimp answer waits: tenants overlap those waits
    order = [
        d.tenant_id
        for d in world.container.nightly_service().due(datetime.fromisoformat(NIGHT_IN_MONTREAL))
    ]

    result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL, "--concurrency", str(concurrency))

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == order  # as the schedule ordered them
    assert all(": ok: " in line for line in lines)
    assert sorted(order) == tenants
    spans = _run_spans(world, tenants)  # exactly one nightly run each
    assert _overlapping(spans) is (concurrency > 1)
    assert max(world.sim.stats.peak_concurrency.values()) <= 10


def test_nightly_concurrency_is_bounded(world: World) -> None:
    result = world.cli("nightly", "--concurrency", "0")
    assert result.exit_code == 2
    assert "--concurrency" in result.stderr

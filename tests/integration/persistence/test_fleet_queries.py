"""`status` and `/metrics` read the fleet in a fixed number of SQL statements whatever the
number of tenants (no query per tenant), and say what the per-tenant reads said."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event

from calendarspots_mailchimp.adapters.persistence.database import Database
from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.model import (
    ConnectionState,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.fleet import (
    GOOD,
    RUNS_LOOKED_AT,
    Attention,
    FleetStatus,
    glance,
)
from calendarspots_mailchimp.entrypoints.http.metrics import FleetCollector
from calendarspots_mailchimp.ports.clock import FixedClock

from .conftest import T0

UowFactory = Callable[[], SqlUnitOfWork]
ZONES = ("America/Montreal", "Europe/Paris", "Asia/Tokyo")
NOW = T0 + timedelta(days=20)  # 2025-03-21 12:00 UTC: 08:00 in Montréal, 13:00 in Paris
OK, FAILED = SyncStatus.SUCCEEDED, SyncStatus.FAILED
NIGHTLY = SyncKind.NIGHTLY
# Each kind of tenant the view tells apart (by its number, modulo 5): its runs, oldest first,
# as (kind, status, nights ago); each night's run an hour before NOW, a manual one later.
PROFILES: tuple[list[tuple[SyncKind, SyncStatus, int]], ...] = (
    # fine, with more runs than the view reads
    [(SyncKind.INITIAL, OK, 13)] + [(NIGHTLY, OK, back) for back in range(12, -1, -1)],
    # overdue: its last good night is older than the runs the view reads
    [(SyncKind.INITIAL, OK, 14), (NIGHTLY, OK, 13), (NIGHTLY, OK, 12)]
    + [(NIGHTLY, FAILED, back) for back in range(11, -1, -1)],
    # held by the guard last night, partial the night before
    [(SyncKind.INITIAL, OK, 2), (NIGHTLY, SyncStatus.PARTIAL, 1), (NIGHTLY, SyncStatus.HELD, 0)],
    # its first sync is running
    [(SyncKind.INITIAL, SyncStatus.RUNNING, 0)],
    # last night failed, then someone synced it by hand
    [(NIGHTLY, OK, 1), (NIGHTLY, FAILED, 0), (SyncKind.MANUAL, OK, 0)],
)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def add_tenants(uow_factory: UowFactory, numbers: range) -> None:
    with uow_factory() as uow:
        for i in numbers:
            tenant_id, zone = f"t{i:03d}", ZoneInfo(ZONES[i % len(ZONES)])
            tenant = Tenant(tenant_id, f"Salon {i}", zone.key, webhook_id=f"wh{i}")
            uow.tenants.add(tenant)
            runs = PROFILES[i % len(PROFILES)]
            for kind, status, back in runs:
                at = NOW - timedelta(days=back, hours=1) + timedelta(minutes=i)
                if kind == SyncKind.MANUAL:
                    at += timedelta(minutes=30)
                done = None if status == SyncStatus.RUNNING else at + timedelta(minutes=3)
                run = SyncRun(tenant_id, kind, at, status, done, message=f"{i}-{back}")
                uow.scope(tenant_id).runs.add(run)
                if status in (*GOOD, SyncStatus.HELD):  # as a sync's ending leaves the tenant
                    tenant = replace(
                        tenant,
                        last_sync_at=tenant.last_sync_at if status == SyncStatus.HELD else done,
                        last_sync_local_date=at.astimezone(zone).date(),
                    )
            if i % 7 == 6:
                tenant = tenant.with_state(ConnectionState.NOT_CONNECTED)
            elif runs[-1][1] == SyncStatus.HELD:
                tenant = tenant.with_state(ConnectionState.NEEDS_ATTENTION, "held")
            else:
                tenant = tenant.with_state(ConnectionState.CONNECTED)
            uow.tenants.save(tenant)
        uow.commit()


def one_by_one(uow_factory: UowFactory) -> list[object]:
    """Each tenant's glance from its own reads, a query per tenant (how `status` read before)."""
    glances = []
    with uow_factory() as uow:
        for tenant in sorted(uow.tenants.list(), key=lambda t: t.tenant_id):
            everything = uow.scope(tenant.tenant_id).runs.latest(1_000)
            good = [
                r.started_at for r in everything if r.kind == SyncKind.NIGHTLY and r.status in GOOD
            ]
            runs = uow.scope(tenant.tenant_id).runs.latest(RUNS_LOOKED_AT)
            glances.append(glance(tenant, runs, NOW, 1, 5, max(good, default=None)))
    return glances


class Container:
    """What the /metrics collector asks of the container."""

    def __init__(self, fleet: FleetStatus) -> None:
        self.fleet = fleet

    def fleet_status(self) -> FleetStatus:
        return self.fleet


def test_status_and_metrics_cost_the_same_statements_for_3_tenants_and_for_30(
    database: Database, uow_factory: UowFactory
) -> None:
    fleet = FleetStatus(uow_factory, FixedClock(NOW), 1, 5)
    metrics = FleetCollector(Container(fleet))  # type: ignore[arg-type]
    counts = {}
    for total, added in ((3, range(3)), (30, range(3, 30))):
        add_tenants(uow_factory, added)
        with statements(database) as fleet_sent:
            view = fleet.view()
        with statements(database) as one_sent:
            one = fleet.view("t001")
        with statements(database) as metrics_sent:
            gauges = {m.name: m for m in metrics.collect()}
        assert len(view.tenants) == total
        assert view.tenants == one_by_one(uow_factory)
        assert one.tenants == [g for g in view.tenants if g.tenant.tenant_id == "t001"]
        assert sum(s.value for s in gauges["csmc_tenants"].samples) == total
        counts[total] = (len(fleet_sent), len(one_sent), len(metrics_sent))

    assert counts[3] == counts[30]
    # The tenants (or the one asked for), their latest runs, their last good nights; and for
    # /metrics the age of the webhook backlog.
    assert counts[30] == (3, 3, 4)


def test_the_view_tells_each_kind_of_tenant(uow_factory: UowFactory) -> None:
    add_tenants(uow_factory, range(len(PROFILES)))

    view = FleetStatus(uow_factory, FixedClock(NOW), 1, 5).view()

    fine, overdue, held, first, by_hand = view.tenants
    today, yesterday = date(2025, 3, 21), date(2025, 3, 20)
    assert (fine.last_night, fine.last_good_night, fine.last_ok, fine.problems) == (
        "succeeded",
        today,
        today,
        (),
    )
    assert (overdue.last_night, overdue.last_good_night, overdue.nights_missed) == (
        "failed",
        date(2025, 3, 9),
        12,
    )
    assert [(p.code, p.reason) for p in overdue.problems] == [(Attention.OVERDUE, "1-0")]
    assert (held.last_night, held.last_good_night, held.last_ok, held.overdue) == (
        "held",
        yesterday,
        today,
        False,
    )
    assert (first.last_night, first.onboarding, first.overdue, first.last_good_night) == (
        "not_run",
        True,
        True,
        None,
    )
    # The manual sync is a sync (not overdue), not a night (last night failed).
    assert (by_hand.last_night, by_hand.last_good_night, by_hand.last_ok) == (
        "failed",
        yesterday,
        today,
    )
    assert not by_hand.overdue

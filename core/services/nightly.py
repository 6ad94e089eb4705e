"""R4: one sync per tenant-local night.

Each tenant's night is a window of wall-clock hours in its own time zone (default 01:00-05:00):
from its start, the tenant is due until it has synced for that local date. Each tenant is its
own MailChimp account, so starting many at once costs MailChimp nothing; our own load is
spread by the order due tenants run in (a stable per-tenant offset) and, at scale, by the task
queue. Comparing wall-clock times makes DST nights simple: on a spring-forward night the
window just starts late; on a fall-back night the once-per-local-date rule stops a second run
in the repeated hour. A failed night is retried later in the window with a growing delay.
An onboarding cut short is due at once, whatever the hour (sync/resume.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.errors import CalendarspotsError, SyncInProgress
from calendarspots_mailchimp.core.model import (
    ConnectionState,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.sync import AlreadySynced, SyncReport, SyncService, lease
from calendarspots_mailchimp.core.services.sync.resume import onboarding, resume_due
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

RETRY_BASE = timedelta(minutes=15)


def start_offset(tenant_id: str, window_minutes: int) -> timedelta:
    """Stable per tenant, within the first half of the window: the order of the night."""
    digest = hashlib.sha256(tenant_id.encode("utf-8")).digest()
    spread = max(1, window_minutes // 2)
    return timedelta(minutes=int.from_bytes(digest[:4], "big") % spread)


@dataclass(frozen=True)
class Due:
    tenant_id: str
    local_date: date
    reason: str


def night_status(
    tenant: Tenant,
    now: datetime,
    start_hour: int,
    end_hour: int,
    failures_tonight: int = 0,
    last_failure: datetime | None = None,
) -> Due | None:
    """Whether this tenant should sync now; None when not."""
    if tenant.state not in (ConnectionState.CONNECTED, ConnectionState.NEEDS_ATTENTION):
        return None
    local = now.astimezone(ZoneInfo(tenant.timezone))
    if tenant.last_sync_local_date == local.date():
        return None
    start = datetime.combine(local.date(), time(start_hour))
    wall = local.replace(tzinfo=None)
    end = datetime.combine(local.date(), time(0)) + timedelta(hours=end_hour)
    if not start <= wall < end:
        return None
    if failures_tonight and last_failure is not None:
        wait = RETRY_BASE * (2 ** (failures_tonight - 1))
        if now < last_failure + wait:
            return None
    return Due(tenant.tenant_id, local.date(), "retry" if failures_tonight else "night")


class Night(StrEnum):
    SYNCED = "synced"  # the sync ran and succeeded (or was partial: see the report)
    FAILED = "failed"
    BUSY = "busy"  # another process is syncing this tenant right now
    HELD = "held"  # the mass-change guard held it: an operator must confirm
    ALREADY_SYNCED = "already synced"  # another process synced this night first


@dataclass
class NightlyOutcome:
    tenant_id: str
    night: Night
    error: str = ""  # why it did not run: the error's code and facts (core.errors.coded)
    report: SyncReport | None = None

    @property
    def ok(self) -> bool:
        return self.night in (Night.SYNCED, Night.ALREADY_SYNCED)

    @property
    def busy(self) -> bool:
        return self.night == Night.BUSY

    @property
    def skipped(self) -> bool:
        return self.night == Night.ALREADY_SYNCED


class NightlyService:
    """`now` is an argument, not the clock: an operator's `nightly --now` pretends an instant
    for the schedule only; the syncs it starts keep the real time."""

    def __init__(
        self, uow: UnitOfWorkFactory, sync: SyncService, night_start_hour: int, night_end_hour: int
    ) -> None:
        self.uow = uow
        self.sync = sync
        self.night_start_hour = night_start_hour
        self.night_end_hour = night_end_hour

    def due(self, now: datetime) -> list[Due]:
        start_hour, end_hour = self.night_start_hour, self.night_end_hour
        with self.uow() as uow:
            tenants = uow.tenants.list()
            dues: list[Due] = []
            for tenant in tenants:
                scope = uow.scope(tenant.tenant_id)
                runs: list[SyncRun] | None = None
                if tenant.connected and tenant.last_sync_at is None:
                    # A first sync that never ended may be due at any hour (resumed).
                    runs = scope.runs.latest(10)
                    free = lease.free(scope, now)
                    if resume_due(tenant, runs, now, free):
                        # An onboarding cut short: resumed now, not at the next local night.
                        local = now.astimezone(ZoneInfo(tenant.timezone)).date()
                        dues.append(Due(tenant.tenant_id, local, "resume"))
                        continue
                    if not free and onboarding(tenant, runs):
                        continue  # its first sync is running right now
                # Failures only delay a due tenant: its runs are read only when it is due
                # (not one query per tenant of the fleet at every enqueue).
                if night_status(tenant, now, start_hour, end_hour) is None:
                    continue
                if runs is None:
                    runs = scope.runs.latest(10)
                failures, last_failure = _failures_tonight(runs, tenant, now, start_hour)
                due = night_status(tenant, now, start_hour, end_hour, failures, last_failure)
                if due is not None:
                    dues.append(due)
        window = (end_hour - start_hour) * 60
        return sorted(dues, key=lambda d: (start_offset(d.tenant_id, window), d.tenant_id))

    def run(
        self,
        now: datetime,
        on_result: Callable[[NightlyOutcome], None] | None = None,
        concurrency: int = 1,
    ) -> list[NightlyOutcome]:
        """Syncs every due tenant, `concurrency` at a time: each tenant is its own MailChimp
        account, so tenants overlap their waits on MailChimp (the per-account connection gate
        is shared, so one account never has more than its 10 connections). Outcomes come in
        schedule order, each as soon as it and those before it are done."""
        outcomes = []
        for outcome in self._each(self.due(now), max(1, concurrency)):
            if outcome.skipped:
                continue
            outcomes.append(outcome)
            if on_result is not None:
                on_result(outcome)
        return outcomes

    def _each(self, dues: list[Due], concurrency: int) -> Iterator[NightlyOutcome]:
        def one(due: Due) -> NightlyOutcome:
            return self.run_one(due.tenant_id, due.local_date)

        if concurrency == 1 or len(dues) < 2:
            yield from map(one, dues)
            return
        workers = min(concurrency, len(dues))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nightly") as pool:
            yield from pool.map(one, dues)

    def run_one(self, tenant_id: str, night: date | None = None) -> NightlyOutcome:
        """`night`: the tenant-local date the schedule found due (None: today's, locally)."""
        try:
            report = self.sync.sync(tenant_id, SyncKind.NIGHTLY, night=night)
        except AlreadySynced as exc:
            return NightlyOutcome(tenant_id, Night.ALREADY_SYNCED, exc.reason)
        except SyncInProgress as exc:
            return NightlyOutcome(tenant_id, Night.BUSY, exc.reason)
        except CalendarspotsError as exc:
            return NightlyOutcome(tenant_id, Night.FAILED, exc.reason)
        result = (
            Night.SYNCED
            if report.ok
            else Night.HELD
            if report.status == SyncStatus.HELD
            else Night.FAILED
        )
        return NightlyOutcome(tenant_id, result, report=report)


def _failures_tonight(
    runs: list[SyncRun],
    tenant: Tenant,
    now: datetime,
    start_hour: int,
) -> tuple[int, datetime | None]:
    local = now.astimezone(ZoneInfo(tenant.timezone))
    night_start = datetime.combine(local.date(), time(start_hour), tzinfo=ZoneInfo(tenant.timezone))
    failures = [
        r
        for r in runs
        if r.kind == SyncKind.NIGHTLY
        and r.status == SyncStatus.FAILED
        and r.started_at >= night_start
    ]
    last = max((r.finished_at or r.started_at for r in failures), default=None)
    return len(failures), last

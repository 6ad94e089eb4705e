"""`status [TENANT]`: the fleet (or one tenant) at a glance, as data — tenants by state, each
tenant's last night, who is overdue and who needs attention, as codes with their facts (the
words are entrypoints/messages.py's).

Nights and syncs are two things, and each line says which it counts:

- A *night* is a nightly run (kind `nightly`: the schedule's, a retry, or an onboarding
  resumed by `nightly`). A run belongs to the tenant's night that had last started when the
  run started (`night_start`, local time). "Last night" is the outcome of the latest nightly
  run of the night that last started; "last successful night" is the night of the latest
  nightly run that succeeded or was partial. Both count the same runs, so when last night
  succeeded the last successful night is last night, and never a later one.
- A *sync* is a run of any kind that sent the tenant's changes: the initial sync after the
  owner authorized, a `sync TENANT` (or `--full`, or the owner's "sync now"), a nightly run.
  "Overdue" and "nights missed" count successful syncs (`last_success`): a tenant whose
  nights fail but whose operator synced it by hand this afternoon has its clients in
  MailChimp and needs nobody. A manual or initial sync is a sync, never a night.

The fleet view costs a fixed number of queries whatever the number of tenants: the tenants,
their latest runs (ports.repositories.FleetRuns.latest, one query) and when each one's latest
successful nightly run started (FleetRuns.last_started, one query).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from calendarspots_mailchimp.core.model import (
    ConnectionState,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.fleet_nights import (
    GOOD,
    NOT_RUN,
    is_overdue,
    last_good_night,
    last_night_status,
    last_success,
    night_start,
    nights_missed,
)
from calendarspots_mailchimp.core.services.sharing import shared_with
from calendarspots_mailchimp.core.services.sync.resume import onboarding
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

RUNS_LOOKED_AT = 10


class Attention(StrEnum):
    """Why a tenant needs someone."""

    REAUTHORIZE = "reauthorize"  # MailChimp refused the token
    AUDIENCE_GONE = "audience_gone"  # the audience disappeared during a sync (R6)
    AUDIENCE = "audience"  # the audience breaks the contract (R1/R2/R6): state_reason says how
    AUDIENCE_SHARED = "audience_shared"  # another tenant uses the audience (R1, sharing.py)
    WEBHOOK_MISSING = "webhook_missing"  # connected, no webhook installed (R5)
    SYNC_HELD = "sync_held"  # the mass-change guard holds a sync until an operator confirms
    OVERDUE = "overdue"  # no successful sync for OVERDUE_NIGHTS local nights


@dataclass(frozen=True)
class Problem:
    tenant_id: str
    code: Attention
    reason: str = ""  # as stored: tenant.state_reason, or the last failed run's message
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Glance:
    """One tenant."""

    tenant: Tenant
    night: date  # last night: the tenant-local date of the latest night that has started
    last_night: str  # the latest nightly run's status that night, NOT_RUN, or "" (not connected)
    last_ok: date | None  # the local date of its last successful (or partial) sync, any kind
    nights_missed: int | None  # completed nights since last_ok; None: never synced
    overdue: bool
    problems: tuple[Problem, ...]
    onboarding: bool = False  # its first sync began and has not finished (sync/resume.py)
    # The last night whose nightly run succeeded (or was partial); None: none yet.
    last_good_night: date | None = None


@dataclass(frozen=True)
class FleetView:
    at: datetime
    tenants: list[Glance]

    def by_state(self) -> dict[str, int]:
        counts = {str(state): 0 for state in ConnectionState}
        for glance in self.tenants:
            counts[str(glance.tenant.state)] += 1
        return counts

    def last_night(self) -> dict[str, int]:
        counts = {"succeeded": 0, "partial": 0, "failed": 0, "held": 0, "running": 0, NOT_RUN: 0}
        for glance in self.tenants:
            if glance.last_night:
                counts[glance.last_night] = counts.get(glance.last_night, 0) + 1
        return counts

    def overdue(self) -> list[Glance]:
        return [g for g in self.tenants if g.overdue]

    def attention(self) -> list[Problem]:
        return [p for g in self.tenants for p in g.problems]


def state_problem(tenant: Tenant) -> Problem | None:
    """What the tenant's state says needs doing (a pure decision)."""
    t = tenant.tenant_id
    if tenant.state == ConnectionState.NEEDS_REAUTHORIZATION:
        return Problem(t, Attention.REAUTHORIZE, tenant.state_reason)
    if tenant.state == ConnectionState.NEEDS_ATTENTION and tenant.state_reason == "held":
        return Problem(t, Attention.SYNC_HELD)
    other = shared_with(tenant)
    if other is not None:
        facts = {"list": tenant.list_name, "other": other}
        return Problem(t, Attention.AUDIENCE_SHARED, tenant.state_reason, facts)
    if tenant.state == ConnectionState.NEEDS_ATTENTION:
        gone = tenant.state_reason == "audience_gone"
        code = Attention.AUDIENCE_GONE if gone else Attention.AUDIENCE
        return Problem(t, code, "" if gone else tenant.state_reason, {"list": tenant.list_name})
    if tenant.state == ConnectionState.CONNECTED and not tenant.webhook_id:
        return Problem(t, Attention.WEBHOOK_MISSING)
    return None


def glance(
    tenant: Tenant,
    runs: list[SyncRun],
    now: datetime,
    start_hour: int,
    end_hour: int,
    good_started: datetime | None = None,
) -> Glance:
    """Everything `status` says about one tenant, from the tenant, its latest runs (newest
    first) and when its latest successful nightly run started (see last_good_night)."""
    since = night_start(tenant, now, start_hour)
    missed = nights_missed(tenant, now, end_hour)
    overdue = is_overdue(tenant, missed)
    problems = [p for p in [state_problem(tenant)] if p is not None]
    if overdue:
        failed = [r for r in runs if r.status == SyncStatus.FAILED]
        last_failure = max(failed, key=lambda r: r.started_at) if failed else None
        facts: dict[str, Any] = {"nights_missed": missed, "last_ok": last_success(tenant)}
        if last_failure is not None:
            facts["failed_at"] = last_failure.started_at
        reason = last_failure.message if last_failure is not None else ""
        problems.append(Problem(tenant.tenant_id, Attention.OVERDUE, reason, facts))
    return Glance(
        tenant,
        since.date(),
        last_night_status(tenant, runs, since),
        last_success(tenant),
        missed,
        overdue,
        tuple(problems),
        onboarding(tenant, runs),
        last_good_night(tenant, runs, start_hour, good_started),
    )


class FleetStatus:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, night_start_hour: int, night_end_hour: int
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.night_start_hour = night_start_hour
        self.night_end_hour = night_end_hour

    def oldest_unapplied_event(self) -> datetime | None:
        """When the oldest webhook event still waiting to be applied was received."""
        with self.uow() as uow:
            return uow.webhook_backlog.oldest_unapplied()

    def unapplied_age(self) -> float:
        """Seconds the oldest webhook event has waited to be applied; 0 when none waits."""
        oldest = self.oldest_unapplied_event()
        return 0.0 if oldest is None else max(0.0, (self.clock.now() - oldest).total_seconds())

    def view(self, tenant_id: str | None = None) -> FleetView:
        """Every tenant, or one (core.errors.NotFound when it does not exist), in a fixed
        number of queries: the tenants, their latest runs, their last good nights."""
        now = self.clock.now()
        one = None if tenant_id is None else load_tenant(self.uow, tenant_id)
        wanted = None if one is None else [one.tenant_id]
        with self.uow() as uow:
            tenants = [one] if one else sorted(uow.tenants.list(), key=lambda t: t.tenant_id)
            by_id = {t.tenant_id: t for t in tenants}
            # Read before the latest runs: a nightly run that succeeds in between is then
            # among those runs (last_good_night takes the later of the two).
            good = uow.fleet_runs.last_started(SyncKind.NIGHTLY, GOOD, wanted)
            seen: dict[str, Glance] = {}
            # One tenant's runs at a time: the fleet's runs are never all in memory at once.
            for runs_of, runs in uow.fleet_runs.latest(RUNS_LOOKED_AT, wanted):
                tenant = by_id.get(runs_of)
                if tenant is not None:  # None: added since the tenants were read
                    seen[runs_of] = self._glance(tenant, runs, now, good.get(runs_of))
        glances = [
            seen.get(t.tenant_id) or self._glance(t, [], now, good.get(t.tenant_id))
            for t in tenants
        ]
        return FleetView(now, glances)

    def _glance(
        self, tenant: Tenant, runs: list[SyncRun], now: datetime, good: datetime | None
    ) -> Glance:
        return glance(tenant, runs, now, self.night_start_hour, self.night_end_hour, good)

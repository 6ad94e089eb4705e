"""The owner's Newsletters page, as data: the connection's state, the last and next sync in the
tenant's local time, what needs doing; and its two settings-like actions."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.errors import NotFound, TooSoon
from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    ConnectionState,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.core.services.client_names import client_names
from calendarspots_mailchimp.core.services.sharing import shared_with
from calendarspots_mailchimp.core.services.sync.resume import onboarding
from calendarspots_mailchimp.core.services.tenancy import load_tenant, record_alone
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

SYNC_NOW_EVERY = timedelta(minutes=15)
_SYNC_KINDS = [ActivityKind.SYNC_SUCCEEDED, ActivityKind.SYNC_PARTIAL, ActivityKind.SYNC_FAILED]


@dataclass(frozen=True)
class PageView:
    tenant: Tenant
    contacts: int  # clients the ledger knows MailChimp has
    last_sync: dict[str, Any] | None
    next_sync: datetime | None  # in the tenant's time zone; None while not connected
    problems: list[dict[str, str]]  # what needs the owner, as codes with their detail
    # The first sync began and has not finished: running, or resumed within minutes.
    first_sync_in_progress: bool = False
    last_entry: ActivityEntry | None = None  # the last sync's activity entry, for its words

    def as_json(self) -> dict[str, Any]:
        t = self.tenant
        return {
            "tenant": t.tenant_id,
            "name": t.name,
            "state": str(t.state),
            "account": t.account_name,
            "audience": {"id": t.audience_id, "name": t.list_name, "contacts": self.contacts},
            "last_sync": self.last_sync,
            "next_sync": self.next_sync.isoformat() if self.next_sync else None,
            "problems": self.problems,
            "first_sync_in_progress": self.first_sync_in_progress,
            "webhook": {"installed": bool(t.webhook_id), "id": t.webhook_id},
            "double_opt_in": t.double_opt_in,
            "locale": t.locale,
        }


def next_night(tenant: Tenant, now: datetime, start_hour: int) -> datetime:
    """When the tenant's next nightly sync may start, in its own time zone."""
    zone = ZoneInfo(tenant.timezone)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(start_hour), tzinfo=zone)
    if local >= start or tenant.last_sync_local_date == local.date():
        start += timedelta(days=1)
    return start


class OwnerPage:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        night_start_hour: int,
        directory: ClientDirectory,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.night_start_hour = night_start_hour
        self.directory = directory

    def view(self, tenant_id: str) -> PageView:
        tenant = load_tenant(self.uow, tenant_id)
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            contacts = len(scope.ledger.all_client_ids())
            last = scope.activity.list(limit=1, kinds=[str(k) for k in _SYNC_KINDS])
            first = onboarding(tenant, scope.runs.latest(10))
        last_sync = None
        if last:
            entry = last[0]
            last_sync = {
                "at": entry.at.astimezone(ZoneInfo(tenant.timezone)).isoformat(),
                "status": str(entry.kind).removeprefix("sync."),
                "counts": entry.details.get("counts", {}),
                "problems": self._named(tenant_id, entry.details.get("problems", [])),
            }
        connected = tenant.state in (ConnectionState.CONNECTED, ConnectionState.NEEDS_ATTENTION)
        now = self.clock.now()
        upcoming = next_night(tenant, now, self.night_start_hour) if connected else None
        return PageView(
            tenant,
            contacts,
            last_sync,
            upcoming,
            _problems(tenant),
            first,
            last[0] if last else None,
        )

    def _named(self, tenant_id: str, problems: Any) -> list[dict[str, Any]]:
        """Each problem with the client's `name` ("" when unknown), from one batched lookup."""
        listed = [p for p in problems if isinstance(p, dict)] if isinstance(problems, list) else []
        names = client_names(
            self.directory, tenant_id, (str(p.get("client_id", "")) for p in listed)
        )
        return [{**p, "name": names.get(str(p.get("client_id", "")), "")} for p in listed]

    def set_double_opt_in(self, tenant_id: str, on: bool) -> Tenant:
        with self.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                raise NotFound(
                    f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id}
                )
            updated = replace(tenant, double_opt_in=on)
            uow.tenants.save(updated)
            uow.commit()
        return updated

    def may_sync_now(self, tenant_id: str) -> None:
        """At most one sync from the page per SYNC_NOW_EVERY, counting a sync queued on the
        worker from the page (it may not have started yet): raises TooSoon otherwise, with
        the minutes to wait in `details`."""
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            runs = scope.runs.latest(1)
            asked = scope.activity.list(limit=1, kinds=[str(ActivityKind.SYNC_REQUESTED)])
        last = [r.started_at for r in runs if r.status != SyncStatus.FAILED]
        last += [e.at for e in asked]
        if not last:
            return
        wait = max(last) + SYNC_NOW_EVERY - self.clock.now()
        if wait > timedelta(0):
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            raise TooSoon(
                f"a sync ran less than 15 minutes ago: try again in {minutes} min",
                minutes=minutes,
            )

    def note_sync_requested(self, tenant_id: str) -> None:
        """ "Sync now" was queued on the worker: noted (activity `sync.requested`), so that a
        second click within 15 minutes is refused even before the queued sync starts."""
        record_alone(self.uow, self.clock, tenant_id, ActivityKind.SYNC_REQUESTED, queued=True)


def _problems(tenant: Tenant) -> list[dict[str, str]]:
    problems = []
    if tenant.state == ConnectionState.NEEDS_REAUTHORIZATION:
        problems.append({"code": "reauthorize", "detail": tenant.state_reason})
    elif tenant.state == ConnectionState.NEEDS_ATTENTION and tenant.state_reason == "held":
        problems.append({"code": "held", "detail": ""})  # the mass-change guard waits
    elif shared_with(tenant) is not None:  # another tenant uses the audience (R1)
        problems.append({"code": "audience_shared", "detail": tenant.state_reason})
    elif tenant.state == ConnectionState.NEEDS_ATTENTION:
        problems.append({"code": "audience", "detail": tenant.state_reason})
    if tenant.state == ConnectionState.CONNECTED and not tenant.webhook_id:
        problems.append({"code": "webhook_missing", "detail": ""})
    return problems

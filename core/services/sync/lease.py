"""One sync per tenant at a time: the lease, and the run record a sync starts with."""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import uuid
from datetime import date, datetime
from types import TracebackType
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.errors import CalendarspotsError, SyncInProgress
from calendarspots_mailchimp.core.model import SyncKind, SyncRun, SyncStatus, Tenant
from calendarspots_mailchimp.core.services.sync.limits import LEASE_HEARTBEAT, LEASE_TTL
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.repositories import TenantScope, UnitOfWorkFactory

log = logging.getLogger(__name__)


class AlreadySynced(CalendarspotsError):
    """A nightly run found the tenant's night already synced by another process."""


def new_holder() -> str:
    """Who holds a lease: this host and process, so a successor on the same host can tell a
    dead holder (killed mid-run) from a live one and take over at once."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def _dead_here(holder: str | None) -> bool:
    if holder is None:
        return False
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def _acquire(scope: TenantScope, holder: str, now: datetime) -> bool:
    if scope.leases.acquire(holder, now, now + LEASE_TTL):
        return True
    current = scope.leases.holder()
    if _dead_here(current):
        assert current is not None
        scope.leases.release(current)
        return scope.leases.acquire(holder, now, now + LEASE_TTL)
    return False


def free(scope: TenantScope, now: datetime) -> bool:
    """No live sync holds the tenant: no lease, an expired one, or one whose holder died on
    this host (a run killed mid-way, which the next sync takes over)."""
    until = scope.leases.held_until()
    return until is None or until <= now or _dead_here(scope.leases.holder())


def local_date(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.timezone)).date()


def start(
    uow: UnitOfWorkFactory,
    clock: Clock,
    tenant: Tenant,
    kind: SyncKind,
    dry_run: bool,
    holder: str,
    night: date | None,
) -> SyncRun:
    """Takes the tenant's lease for `holder` and opens the run (kept in memory by a dry run).
    `night`: the local date a nightly run syncs for (the schedule's, which `nightly --now`
    may pretend); None means the tenant's local date now."""
    tenant_id = tenant.tenant_id
    now = clock.now()
    with uow() as unit:
        if not _acquire(unit.scope(tenant_id), holder, now):
            raise SyncInProgress(
                f"tenant {tenant_id!r} is being synced by another process",
                code="sync_in_progress",
                facts={"tenant": tenant_id},
            )
        if kind == SyncKind.NIGHTLY:
            # Two schedulers may both have found the tenant due: the one that gets the
            # lease second must see the night is done (R4: once per local night).
            current = unit.tenants.get(tenant_id) or tenant
            tonight = night or local_date(current, now)
            if current.last_sync_local_date == tonight:
                unit.scope(tenant_id).leases.release(holder)
                unit.commit()
                raise AlreadySynced(
                    f"tenant {tenant_id!r} already synced for {tonight}",
                    code="already_synced",
                    facts={"tenant": tenant_id, "night": tonight.isoformat()},
                )
        _close_interrupted(unit.scope(tenant_id), now)
        run = (
            SyncRun(tenant_id, kind, now)
            if dry_run
            else unit.scope(tenant_id).runs.add(SyncRun(tenant_id, kind, now))
        )
        unit.commit()
    return run


def release(uow: UnitOfWorkFactory, tenant_id: str, holder: str) -> None:
    with uow() as unit:
        unit.scope(tenant_id).leases.release(holder)
        unit.commit()


def _close_interrupted(scope: TenantScope, now: datetime) -> None:
    """Runs still marked running when we hold the lease lost their process (killed, or the
    lease expired): they failed. What they acknowledged is in the ledger; this run resumes."""
    for run in scope.runs.latest(5):
        if run.status == SyncStatus.RUNNING:
            run.status, run.finished_at = SyncStatus.FAILED, now
            run.message = "interrupted: the process stopped before the end; resumed by the next run"
            scope.runs.save(run)


class Heartbeat:
    """Keeps the lease while the run lives: renewed every LEASE_HEARTBEAT, so a short
    LEASE_TTL frees a tenant soon after its holder dies, however long a healthy run takes."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, tenant_id: str, holder: str) -> None:
        self.uow, self.clock, self.tenant_id, self.holder = uow, clock, tenant_id, holder
        self._stop = threading.Event()
        # In the caller's context, so its log lines carry the sync's tenant and run.
        beat, name = contextvars.copy_context().run, f"lease:{tenant_id}"
        self._thread = threading.Thread(target=beat, args=(self._beat,), name=name, daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(LEASE_HEARTBEAT.total_seconds()):
            try:
                now = self.clock.now()
                with self.uow() as unit:
                    unit.scope(self.tenant_id).leases.acquire(self.holder, now, now + LEASE_TTL)
                    unit.commit()
            except Exception:  # a missed beat is retried at the next one
                log.warning("sync lease heartbeat missed for tenant %s", self.tenant_id)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

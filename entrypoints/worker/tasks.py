"""The tasks: `csmc.sync_tenant` (one tenant's night) and `csmc.enqueue_due` (the fan-out).

At most one sync per tenant at a time, across every worker: SyncService's database lease.
At most one sync per tenant per local night: the task re-reads the tenant before syncing and
skips it when that night is already done (a tenant enqueued twice, by two beats or a cron
that overlapped, syncs once); a second copy that read "not synced yet" just before the first
one finished then waits on the lease, and once it holds it, re-checks the night in the same
transaction and skips (lease.AlreadySynced). Per-account concurrency: each process's
connection gate (≤ CS_MAILCHIMP_MAX_CONNECTIONS, at most 10), shared by every thread of the
process (`worker --pool threads`: several tenants at once, each its own account) and by every
process of the fleet when CS_MAILCHIMP_LIMITER_URL names a Redis.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

from celery import Celery, Task

from calendarspots_mailchimp.core.errors import CalendarspotsError, NotFound
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.entrypoints.container import Container, runtime
from calendarspots_mailchimp.entrypoints.messages import night_message, report_message
from calendarspots_mailchimp.entrypoints.worker.celery_app import (
    TASK_EXPIRES_S,
    make_celery,
)

SYNC_TASK = "csmc.sync_tenant"
ENQUEUE_TASK = "csmc.enqueue_due"
SYNC_NOW_TASK = "csmc.sync_now"  # the owner's "Sync now", queued by the web server

app: Celery = make_celery()

_warm_lock = threading.Lock()
_warmed: set[int] = set()


def warm_runtime() -> Container:
    """This process's container, its singletons (database engine, MailChimp connector, client
    directory) built once under a lock: with `--pool threads` the first tasks start together,
    and the container's providers do not lock their own construction."""
    c = runtime()
    with _warm_lock:
        if id(c) not in _warmed:
            c.nightly_service()
            c.mailchimp()
            c.directory()
            _warmed.add(id(c))
    return c


def sync_tenant_now(c: Container, tenant_id: str, local_date: str) -> dict[str, Any]:
    """The database lease keeps one sync per tenant at a time across workers, and a nightly
    run that gets the lease after another finished the night skips (SyncService)."""
    try:
        tenant = c.tenants().get(tenant_id)
    except NotFound:
        return {"tenant": tenant_id, "outcome": "gone"}
    if tenant.last_sync_local_date == date.fromisoformat(local_date):
        return {"tenant": tenant_id, "outcome": "already synced"}
    outcome = c.nightly_service().run_one(tenant_id, date.fromisoformat(local_date))
    c.attention_notices().check(tenant_id)  # the host hears of a new problem
    if outcome.skipped:
        return {"tenant": tenant_id, "outcome": "already synced"}
    if outcome.busy:
        return {"tenant": tenant_id, "outcome": "busy"}
    return {
        "tenant": tenant_id,
        "outcome": "synced" if outcome.ok else "failed",
        "message": night_message(outcome),
    }


def enqueue_due(c: Container, celery: Celery, now: datetime) -> list[str]:
    """Sends one sync task per tenant due at `now`; returns their ids."""
    dues = c.nightly_service().due(now)
    c.attention_notices().sweep()  # what time alone changes (overdue), once per change
    for due in dues:
        celery.send_task(
            SYNC_TASK,
            args=[due.tenant_id, due.local_date.isoformat()],
            expires=TASK_EXPIRES_S,
        )
    return [d.tenant_id for d in dues]


@app.task(name=SYNC_TASK, bind=True)  # type: ignore[untyped-decorator]
def sync_tenant(self: Task, tenant_id: str, local_date: str) -> dict[str, Any]:
    return sync_tenant_now(warm_runtime(), tenant_id, local_date)


@app.task(name=ENQUEUE_TASK, bind=True)  # type: ignore[untyped-decorator]
def enqueue(self: Task) -> list[str]:
    c = runtime()
    return enqueue_due(c, app, c.clock().now())


def sync_now(c: Container, tenant_id: str) -> dict[str, Any]:
    """A manual sync, as the page would have run it in-process (the page checked the 15
    minutes when it queued it; the database lease keeps it from overlapping another sync)."""
    try:
        report = c.sync_service().sync(tenant_id, SyncKind.MANUAL)
    except NotFound:
        return {"tenant": tenant_id, "outcome": "gone"}
    except CalendarspotsError as exc:
        return {"tenant": tenant_id, "outcome": "not synced", "error": type(exc).__name__}
    return {
        "tenant": tenant_id,
        "outcome": "synced" if report.ok else "failed",
        "message": report_message(report),
    }


@app.task(name=SYNC_NOW_TASK, bind=True)  # type: ignore[untyped-decorator]
def sync_now_task(self: Task, tenant_id: str) -> dict[str, Any]:
    return sync_now(runtime(), tenant_id)

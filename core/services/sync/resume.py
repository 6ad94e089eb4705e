"""An onboarding that did not finish resumes within minutes, not the next night (issue 11
point 8).

The initial sync runs when the owner authorizes. If its process is killed half-way (a server
crash, a deploy) or the run fails, the tenant is connected but has never synced: every client
not yet pushed would wait for the next local night. Instead the next `nightly` run (cron every
~10 minutes, or the worker's beat) finds it due whatever the hour, once no live process holds
its lease, and resumes it: what MailChimp acknowledged is in the ledger (push.py), so only the
rest is sent. Meanwhile the tenant's state says its first sync is in progress."""

from __future__ import annotations

from datetime import datetime, timedelta

from calendarspots_mailchimp.core.model import SyncKind, SyncRun, SyncStatus, Tenant

RETRY_BASE = timedelta(minutes=15)  # a failed attempt waits 15 min, then 30, 60... (capped)
MAX_RETRY_DOUBLINGS = 4  # at most 15 min × 2⁴ = 4 h between attempts


def onboarding(tenant: Tenant, runs: list[SyncRun]) -> bool:
    """The tenant's first sync began and has not finished: it is running, or it stopped and
    the next `nightly` resumes it. `runs`: the tenant's latest runs, newest first."""
    return (
        tenant.connected
        and tenant.last_sync_at is None
        and any(r.kind == SyncKind.INITIAL for r in runs)
    )


def resume_due(tenant: Tenant, runs: list[SyncRun], now: datetime, lease_free: bool) -> bool:
    """An unfinished onboarding that no live process is running, and not retried too soon
    after a failed attempt (the same growing delay as a failed night)."""
    if not lease_free or not onboarding(tenant, runs):
        return False
    began = min(r.started_at for r in runs if r.kind == SyncKind.INITIAL)
    failed = [r for r in runs if r.status == SyncStatus.FAILED and r.started_at >= began]
    if not failed:
        return True  # killed mid-way: still marked running, its process gone
    last = max(r.finished_at or r.started_at for r in failed)
    wait = RETRY_BASE * (1 << min(len(failed) - 1, MAX_RETRY_DOUBLINGS))
    return now >= last + wait

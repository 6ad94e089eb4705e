"""The nights of `status` (see core/services/fleet.py): when a tenant's night started, which
night a run belongs to, the last successful sync and night, and how many nights were missed.
All in the tenant's own time zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.model import SyncKind, SyncRun, SyncStatus, Tenant

OVERDUE_NIGHTS = 2  # no successful sync for this many local nights
NOT_RUN = "not_run"  # a connected tenant no nightly sync started for last night
GOOD = (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)  # a run that sent the tenant's changes


def night_start(tenant: Tenant, now: datetime, start_hour: int) -> datetime:
    """The start of the latest night that has started, in the tenant's time zone."""
    zone = ZoneInfo(tenant.timezone)
    local = now.astimezone(zone)
    day = local.date() if local.time() >= time(start_hour) else local.date() - timedelta(days=1)
    return datetime.combine(day, time(start_hour), tzinfo=zone)


def last_completed_night(tenant: Tenant, now: datetime, end_hour: int) -> date:
    """The tenant-local date of the latest night whose window has ended."""
    local = now.astimezone(ZoneInfo(tenant.timezone))
    ended = local.replace(tzinfo=None) >= datetime.combine(local.date(), time(0)) + timedelta(
        hours=end_hour
    )
    return local.date() if ended else local.date() - timedelta(days=1)


def night_of(tenant: Tenant, at: datetime, start_hour: int) -> date:
    """The tenant-local date of the night that had last started at `at`."""
    return night_start(tenant, at, start_hour).date()


def last_success(tenant: Tenant) -> date | None:
    """The local date of the tenant's last successful sync, of any kind (what "overdue"
    counts from): the date the schedule marked done, else the date of last_sync_at."""
    if tenant.last_sync_local_date is not None:
        return tenant.last_sync_local_date
    if tenant.last_sync_at is not None:
        return tenant.last_sync_at.astimezone(ZoneInfo(tenant.timezone)).date()
    return None


def nights_missed(tenant: Tenant, now: datetime, end_hour: int) -> int | None:
    """Local nights ended since the last successful sync (of any kind); None: never synced."""
    last = last_success(tenant)
    if last is None:
        return None
    return max(0, (last_completed_night(tenant, now, end_hour) - last).days)


def is_overdue(tenant: Tenant, missed: int | None) -> bool:
    """Connected, and no successful sync for OVERDUE_NIGHTS local nights (or ever)."""
    return tenant.connected and (missed is None or missed >= OVERDUE_NIGHTS)


def last_night_status(tenant: Tenant, runs: list[SyncRun], since: datetime) -> str:
    """The status of the latest nightly run that started since the night started (`since`),
    NOT_RUN when none did, "" for a tenant not connected. Nightly runs only: see the module."""
    if not tenant.connected:
        return ""
    tonight = [r for r in runs if r.kind == SyncKind.NIGHTLY and r.started_at >= since]
    if not tonight:
        return NOT_RUN
    return str(max(tonight, key=lambda r: r.started_at).status)


def last_good_night(
    tenant: Tenant, runs: Iterable[SyncRun], start_hour: int, good_started: datetime | None = None
) -> date | None:
    """The night of the latest nightly run that succeeded or was partial, among `runs` and the
    one that started at `good_started` (the latest such run, when it is older than `runs`).
    Nightly runs only, as last_night_status: see the module."""
    starts = [r.started_at for r in runs if r.kind == SyncKind.NIGHTLY and r.status in GOOD]
    if good_started is not None:
        starts.append(good_started)
    return night_of(tenant, max(starts), start_hour) if starts else None

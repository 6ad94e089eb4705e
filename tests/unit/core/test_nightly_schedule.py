"""R4: the local night, DST included (America/Montreal and Europe/Paris)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendarspots_mailchimp.core.model import ConnectionState, Tenant
from calendarspots_mailchimp.core.services.nightly import night_status, start_offset


def tenant(tz: str, tenant_id: str = "salon", synced: date | None = None) -> Tenant:
    return Tenant(
        tenant_id, "Salon", tz, state=ConnectionState.CONNECTED, last_sync_local_date=synced
    )


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)  # type: ignore[misc]


def test_offsets_are_stable_and_spread_over_the_first_half_of_the_window() -> None:
    offsets = {start_offset(f"tenant-{i}", 240) for i in range(500)}
    assert start_offset("tenant-1", 240) == start_offset("tenant-1", 240)
    assert max(offsets) < timedelta(minutes=120)
    assert len(offsets) > 60


def test_not_due_during_the_day_due_at_night_once_per_local_date() -> None:
    tz = "America/Montreal"
    t = tenant(tz)
    assert night_status(t, local(tz, 2026, 6, 10, 12, 0), 1, 5) is None
    due = night_status(t, local(tz, 2026, 6, 10, 4, 59), 1, 5)
    assert due is not None and due.local_date == date(2026, 6, 10)
    assert (
        night_status(tenant(tz, synced=date(2026, 6, 10)), local(tz, 2026, 6, 10, 4, 59), 1, 5)
        is None
    )
    assert night_status(t, local(tz, 2026, 6, 10, 5, 0), 1, 5) is None


def test_a_tenant_is_due_in_its_own_night_not_the_servers() -> None:
    at = datetime(2026, 6, 10, 2, 30, tzinfo=UTC)  # 04:30 in Paris (CEST), 22:30 in Montreal
    assert night_status(tenant("Europe/Paris"), at + timedelta(minutes=29), 1, 5) is not None
    assert night_status(tenant("America/Montreal"), at, 1, 5) is None


@pytest.mark.parametrize(
    ("tz", "day"), [("America/Montreal", (2026, 3, 8)), ("Europe/Paris", (2026, 3, 29))]
)
def test_spring_forward_night_still_runs_once(tz: str, day: tuple[int, int, int]) -> None:
    # The clocks jump from 02:00 to 03:00: a start planned in the missing hour happens at 03:00.
    t = tenant(tz)
    runs = [
        m
        for m in range(0, 6 * 60, 5)
        if night_status(
            t,
            datetime(*day, tzinfo=UTC).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
            + timedelta(minutes=m),
            1,
            5,
        )
        is not None
    ]
    assert runs, "the night must come even on the short night"


@pytest.mark.parametrize(
    ("tz", "day"), [("America/Montreal", (2026, 11, 1)), ("Europe/Paris", (2026, 10, 25))]
)
def test_fall_back_night_runs_once_despite_the_repeated_hour(
    tz: str, day: tuple[int, int, int]
) -> None:
    zone = ZoneInfo(tz)
    synced: date | None = None
    runs = 0
    midnight = datetime(*day, tzinfo=zone).astimezone(UTC)
    for minute in range(0, 7 * 60, 5):
        now = midnight + timedelta(minutes=minute)
        if night_status(tenant(tz, synced=synced), now, 1, 5) is not None:
            runs += 1
            synced = now.astimezone(zone).date()
    assert runs == 1


def test_failed_night_is_retried_later_with_backoff() -> None:
    tz = "America/Montreal"
    failed_at = local(tz, 2026, 6, 10, 3, 0)
    assert night_status(tenant(tz), failed_at + timedelta(minutes=5), 1, 5, 1, failed_at) is None
    retry = night_status(tenant(tz), failed_at + timedelta(minutes=16), 1, 5, 1, failed_at)
    assert retry is not None and retry.reason == "retry"
    assert night_status(tenant(tz), failed_at + timedelta(minutes=16), 1, 5, 2, failed_at) is None


def test_disconnected_tenants_never_run() -> None:
    t = tenant("America/Montreal").with_state(ConnectionState.NEEDS_REAUTHORIZATION)
    assert night_status(t, local("America/Montreal", 2026, 6, 10, 4, 30), 1, 5) is None


@pytest.mark.parametrize("tenant_id", [f"tenant-{i}" for i in range(20)])
def test_every_tenant_is_due_from_the_first_minute_of_its_night(tenant_id: str) -> None:
    tz = "America/Montreal"
    assert night_status(tenant(tz, tenant_id), local(tz, 2026, 6, 10, 1, 0), 1, 5) is not None
    assert night_status(tenant(tz, tenant_id), local(tz, 2026, 6, 10, 0, 59), 1, 5) is None

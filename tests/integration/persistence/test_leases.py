"""Sync leases: one holder at a time, expiry, renewal, release."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork

UowFactory = Callable[[], SqlUnitOfWork]
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def acquire(uow_factory: UowFactory, holder: str, now: datetime, until: datetime) -> bool:
    with uow_factory() as uow:
        owned = uow.scope("acme").leases.acquire(holder, now, until)
        uow.commit()
    return owned


def test_a_free_lease_is_acquired_and_others_are_refused_until_it_expires(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    assert acquire(uow_factory, "worker-1", NOW, NOW + 10 * MINUTE)
    assert not acquire(uow_factory, "worker-2", NOW + MINUTE, NOW + 11 * MINUTE)
    assert not acquire(
        uow_factory, "worker-2", NOW + 10 * MINUTE - timedelta(microseconds=1), NOW + 20 * MINUTE
    )
    # Expired: stolen at (or after) its end.
    assert acquire(uow_factory, "worker-2", NOW + 10 * MINUTE, NOW + 20 * MINUTE)
    assert not acquire(uow_factory, "worker-1", NOW + 11 * MINUTE, NOW + 21 * MINUTE)


def test_the_holder_renews_its_own_lease(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    assert acquire(uow_factory, "worker-1", NOW, NOW + MINUTE)
    assert acquire(uow_factory, "worker-1", NOW + 30 * timedelta(seconds=1), NOW + 30 * MINUTE)
    # The renewal moved the end: at the old end, another worker is still refused.
    assert not acquire(uow_factory, "worker-2", NOW + 2 * MINUTE, NOW + 3 * MINUTE)


def test_release_frees_it_only_for_its_holder(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    assert acquire(uow_factory, "worker-1", NOW, NOW + 10 * MINUTE)
    with uow_factory() as uow:
        uow.scope("acme").leases.release("worker-2")
        uow.commit()
    assert not acquire(uow_factory, "worker-2", NOW, NOW + 10 * MINUTE)
    with uow_factory() as uow:
        uow.scope("acme").leases.release("worker-1")
        uow.commit()
    assert acquire(uow_factory, "worker-2", NOW, NOW + 10 * MINUTE)


def test_times_in_other_offsets_compare_as_instants(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    from datetime import timezone

    tokyo = timezone(timedelta(hours=9))
    assert acquire(uow_factory, "worker-1", NOW, NOW + 10 * MINUTE)
    # 21:05 in Tokyo is 12:05 UTC: the lease still runs.
    assert not acquire(
        uow_factory, "worker-2", datetime(2025, 3, 1, 21, 5, tzinfo=tokyo), NOW + 30 * MINUTE
    )
    assert acquire(
        uow_factory, "worker-2", datetime(2025, 3, 1, 21, 10, tzinfo=tokyo), NOW + 30 * MINUTE
    )

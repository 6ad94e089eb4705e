"""Activity: newest first, paging, kinds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind

UowFactory = Callable[[], SqlUnitOfWork]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KINDS = [ActivityKind.SYNC_SUCCEEDED, ActivityKind.CONTACT_UNSUBSCRIBED, ActivityKind.CHECK_FAILED]


def seed(uow_factory: UowFactory, count: int = 12) -> None:
    with uow_factory() as uow:
        activity = uow.scope("acme").activity
        for n in range(count):
            # Same timestamp for some: order is by insertion, not by clock.
            activity.add(
                ActivityEntry("acme", T0 + timedelta(minutes=n // 2), KINDS[n % 3], f"entry {n}")
            )
        uow.commit()


def test_add_returns_the_entry_with_its_id_and_keeps_details(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    details = {"email": "Zoé.O'Brien@exemple.ca", "counts": {"created": 3}, "ok": True}
    entry = ActivityEntry("acme", T0, ActivityKind.SYNC_PARTIAL, "partial", details)
    with uow_factory() as uow:
        stored = uow.scope("acme").activity.add(entry)
        uow.commit()
    assert stored.entry_id is not None
    with uow_factory() as uow:
        [read] = uow.scope("acme").activity.list()
    assert read == stored
    assert read.kind is ActivityKind.SYNC_PARTIAL
    assert read.at.tzinfo is UTC


def test_list_is_newest_first(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    seed(uow_factory)
    with uow_factory() as uow:
        messages = [e.message for e in uow.scope("acme").activity.list()]
    assert messages == [f"entry {n}" for n in reversed(range(12))]


def test_limit_and_offset_page_through(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    seed(uow_factory)
    with uow_factory() as uow:
        activity = uow.scope("acme").activity
        pages = [activity.list(limit=5, offset=offset) for offset in (0, 5, 10, 15)]
    assert [len(page) for page in pages] == [5, 5, 2, 0]
    assert [e.message for page in pages for e in page] == [
        f"entry {n}" for n in reversed(range(12))
    ]


def test_kinds_filter_and_count(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    seed(uow_factory)
    with uow_factory() as uow:
        activity = uow.scope("acme").activity
        unsubscribed = activity.list(kinds=["contact.unsubscribed"])
        two_kinds = activity.list(kinds=[ActivityKind.SYNC_SUCCEEDED, ActivityKind.CHECK_FAILED])
        assert activity.count() == 12
        assert activity.count(kinds=["contact.unsubscribed"]) == 4
        assert activity.count(kinds=["no.such.kind"]) == 0
    assert [e.message for e in unsubscribed] == ["entry 10", "entry 7", "entry 4", "entry 1"]
    assert len(two_kinds) == 8
    assert all(e.kind is not ActivityKind.CONTACT_UNSUBSCRIBED for e in two_kinds)


def test_unknown_kinds_come_back_as_plain_strings(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        uow.scope("acme").activity.add(
            ActivityEntry("acme", T0, "future.kind", "from a newer release")
        )
        [entry] = uow.scope("acme").activity.list()
    assert entry.kind == "future.kind"
    assert not isinstance(entry.kind, ActivityKind)

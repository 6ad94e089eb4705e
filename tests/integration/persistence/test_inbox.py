"""Webhook inbox: stored once per key, even when two deliveries race."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork

UowFactory = Callable[[], SqlUnitOfWork]
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PAYLOAD = {"type": "unsubscribe", "data": {"email": "Zoé@exemple.ca", "merges": {"FNAME": "Zoé"}}}


def test_a_key_is_stored_once(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    with uow_factory() as uow:
        inbox = uow.scope("acme").inbox
        first = inbox.add("key-1", NOW, PAYLOAD)
        assert first is not None
        assert inbox.add("key-1", NOW, {"other": True}) is None
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("acme").inbox.add("key-1", NOW, PAYLOAD) is None
        assert uow.scope("acme").inbox.pending() == [(first, PAYLOAD)]


def test_pending_in_arrival_order_until_applied(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        inbox = uow.scope("acme").inbox
        ids = [inbox.add(f"key-{n}", NOW, {"n": n}) for n in range(5)]
        assert all(event_id is not None for event_id in ids)
        first_id = ids[0]
        assert first_id is not None
        inbox.mark_applied(first_id, NOW, "applied")
        uow.commit()
    with uow_factory() as uow:
        pending = uow.scope("acme").inbox.pending(limit=3)
    assert [payload["n"] for _, payload in pending] == [1, 2, 3]


def test_concurrent_deliveries_of_one_event_store_it_once(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as first:
        assert first.scope("acme").inbox.add("race", NOW, PAYLOAD) is not None

        def second_delivery() -> int | None:
            with uow_factory() as second:
                event_id = second.scope("acme").inbox.add("race", NOW, PAYLOAD)
                second.commit()
                return event_id

        with ThreadPoolExecutor(max_workers=1) as pool:
            # The second insert waits on the first transaction's lock (or runs after it).
            racing = pool.submit(second_delivery)
            first.commit()
            assert racing.result(timeout=60) is None
    with uow_factory() as uow:
        assert len(uow.scope("acme").inbox.pending()) == 1

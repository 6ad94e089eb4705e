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


def stored_event(uow_factory: UowFactory, key: str = "claimed") -> int:
    with uow_factory() as uow:
        event_id = uow.scope("acme").inbox.add(key, NOW, PAYLOAD)
        uow.commit()
    assert event_id is not None
    return event_id


def test_an_event_is_claimed_once_and_a_rolled_back_claim_frees_it(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    event_id = stored_event(uow_factory)
    with uow_factory() as uow:
        assert uow.scope("acme").inbox.claim(event_id, NOW)
        # leaving without commit: the apply failed, the claim goes with it
    with uow_factory() as uow:
        assert not uow.scope("beta").inbox.claim(event_id, NOW)  # another tenant's event
        assert uow.scope("acme").inbox.claim(event_id, NOW)
        assert not uow.scope("acme").inbox.claim(event_id, NOW)
        uow.scope("acme").inbox.mark_applied(event_id, NOW, "applied")
        uow.commit()
    with uow_factory() as uow:
        assert not uow.scope("acme").inbox.claim(event_id, NOW)
        assert uow.scope("acme").inbox.pending() == []


def test_concurrent_claims_of_one_event_let_exactly_one_win(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    event_id = stored_event(uow_factory)
    with uow_factory() as first:
        assert first.scope("acme").inbox.claim(event_id, NOW)

        def second_claim() -> bool:
            with uow_factory() as second:
                won = second.scope("acme").inbox.claim(event_id, NOW)
                second.commit()
                return won

        with ThreadPoolExecutor(max_workers=1) as pool:
            # The second claim waits on the first transaction's lock, then sees it taken.
            racing = pool.submit(second_claim)
            first.scope("acme").inbox.mark_applied(event_id, NOW, "applied")
            first.commit()
            assert racing.result(timeout=60) is False


def test_a_batch_stores_each_key_once_and_says_which(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        before = uow.scope("acme").inbox.add("old", NOW, PAYLOAD)
        uow.commit()
    with uow_factory() as uow:
        ids = uow.scope("acme").inbox.add_many(
            [("a", NOW, {"n": "1"}), ("old", NOW, {}), ("b", NOW, PAYLOAD), ("a", NOW, {})]
        )
        uow.commit()
    assert ids[1] is None and ids[3] is None
    assert ids[0] is not None and ids[2] is not None and before is not None
    with uow_factory() as uow:
        assert uow.scope("acme").inbox.pending() == [
            (before, PAYLOAD),
            (ids[0], {"n": "1"}),
            (ids[2], PAYLOAD),
        ]
        assert list(uow.tenants.with_pending_webhook_events()) == ["acme"]


def test_a_batch_claim_takes_only_what_is_still_pending(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        ids = uow.scope("acme").inbox.add_many([(f"k{n}", NOW, {}) for n in range(4)])
        uow.commit()
    first, second, third, fourth = (i for i in ids if i is not None)
    with uow_factory() as uow:
        inbox = uow.scope("acme").inbox
        assert inbox.claim_many([first], NOW) == {first}
        inbox.mark_applied_many({first: "applied"}, NOW)
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("beta").inbox.claim_many([second], NOW) == set()  # not beta's
        inbox = uow.scope("acme").inbox
        assert inbox.claim_many([first, second, third], NOW) == {second, third}
        inbox.mark_applied_many({second: "applied", third: "recorded"}, NOW)
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("acme").inbox.pending() == [(fourth, {})]


def test_concurrent_batch_claims_never_share_an_event(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        stored = uow.scope("acme").inbox.add_many([(f"k{n}", NOW, {}) for n in range(6)])
        ids = {i for i in stored if i is not None}
        uow.commit()
    with uow_factory() as first:
        mine = first.scope("acme").inbox.claim_many(ids, NOW)

        def second_claim() -> set[int]:
            with uow_factory() as second:
                won = second.scope("acme").inbox.claim_many(ids, NOW)
                second.commit()
                return won

        with ThreadPoolExecutor(max_workers=1) as pool:
            # PostgreSQL: the second skips the rows the first holds; SQLite: it waits for
            # the write lock, then finds them taken.
            racing = pool.submit(second_claim)
            first.scope("acme").inbox.mark_applied_many(dict.fromkeys(mine, "applied"), NOW)
            first.commit()
            theirs = racing.result(timeout=60)
    assert mine == ids and theirs == set()

"""A scope bound to tenant A can neither read nor change tenant B's rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.errors import NotFound
from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    LedgerEntry,
    MemberStatus,
    SyncKind,
    SyncRun,
)

UowFactory = Callable[[], SqlUnitOfWork]
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SHARED_EMAIL = "Same.Person@Example.com"


@pytest.fixture
def populated(uow_factory: UowFactory, tenants: tuple[str, str]) -> dict[str, int]:
    """Both tenants hold one of everything, with the same client ids and emails."""
    ids: dict[str, int] = {}
    with uow_factory() as uow:
        for tenant_id in tenants:
            scope = uow.scope(tenant_id)
            scope.token.put(f"token-{tenant_id}".encode())
            entry = scope.activity.add(
                ActivityEntry(tenant_id, NOW, ActivityKind.CHECK_PASSED, f"ok {tenant_id}")
            )
            run = scope.runs.add(SyncRun(tenant_id, SyncKind.INITIAL, NOW, message=tenant_id))
            scope.ledger.upsert_many(
                [
                    LedgerEntry("c1", SHARED_EMAIL, f"hash-{tenant_id}"),
                    LedgerEntry("c2", f"{tenant_id}@x.com", "h"),
                ]
            )
            event_id = scope.inbox.add("evt-1", NOW, {"tenant": tenant_id})
            assert scope.leases.acquire(f"worker-{tenant_id}", NOW, NOW + timedelta(minutes=5))
            assert entry.entry_id is not None
            assert run.run_id is not None
            assert event_id is not None
            ids[f"{tenant_id}.activity"] = entry.entry_id
            ids[f"{tenant_id}.run"] = run.run_id
            ids[f"{tenant_id}.event"] = event_id
        uow.commit()
    return ids


def test_reads_only_see_the_scope_tenant(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        a = uow.scope("acme")
        assert a.token.get() == b"token-acme"
        assert [e.message for e in a.activity.list()] == ["ok acme"]
        assert a.activity.count() == 1
        assert [r.message for r in a.runs.latest()] == ["acme"]
        assert a.ledger.get_many(["c1", "c2"])["c1"].content_hash == "hash-acme"
        assert a.ledger.all_client_ids() == {"c1", "c2"}
        found = a.ledger.find_by_email(SHARED_EMAIL.lower())
        assert found is not None
        assert found.content_hash == "hash-acme"
        assert a.ledger.find_by_email("bravo@x.com") is None
        assert a.inbox.pending() == [(populated["acme.event"], {"tenant": "acme"})]


def test_writes_through_a_scope_never_touch_the_other_tenant(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        a = uow.scope("acme")
        a.ledger.set_member_status(SHARED_EMAIL, MemberStatus.UNSUBSCRIBED)
        a.ledger.delete_many(["c2"])
        a.inbox.mark_applied(populated["bravo.event"], NOW, "applied by the wrong tenant")
        a.token.delete()
        a.leases.release("worker-bravo")
        a.leases.release("worker-acme")
        uow.commit()
    with uow_factory() as uow:
        b = uow.scope("bravo")
        assert b.token.get() == b"token-bravo"
        assert b.ledger.get_many(["c1", "c2"]) == {
            "c1": LedgerEntry("c1", SHARED_EMAIL, "hash-bravo"),
            "c2": LedgerEntry("c2", "bravo@x.com", "h"),
        }
        assert b.inbox.pending() == [(populated["bravo.event"], {"tenant": "bravo"})]
        # B's lease still stands: another holder cannot take it before it expires.
        assert not b.leases.acquire("intruder", NOW, NOW + timedelta(minutes=1))
        a = uow.scope("acme")
        assert a.ledger.get_many(["c1"])["c1"].member_status is MemberStatus.UNSUBSCRIBED
        assert a.ledger.all_client_ids() == {"c1"}


def test_clear_only_empties_the_scope_tenant_ledger(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        uow.scope("acme").ledger.clear()
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("acme").ledger.all_client_ids() == set()
        assert uow.scope("bravo").ledger.all_client_ids() == {"c1", "c2"}


def test_another_tenants_run_cannot_be_saved_through_a_scope(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        bravo_run = uow.scope("bravo").runs.latest()[0]
        disguised = SyncRun("acme", SyncKind.FULL, NOW, message="hijack", run_id=bravo_run.run_id)
        with pytest.raises(NotFound):
            uow.scope("acme").runs.save(disguised)
        with pytest.raises(ValueError, match="belongs to tenant 'bravo'"):
            uow.scope("acme").runs.save(bravo_run)
    with uow_factory() as uow:
        assert uow.scope("bravo").runs.latest()[0].message == "bravo"


def test_entries_for_another_tenant_are_refused(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        with pytest.raises(ValueError, match="belongs to tenant 'bravo'"):
            uow.scope("acme").activity.add(ActivityEntry("bravo", NOW, "x", "smuggled"))
        with pytest.raises(ValueError, match="belongs to tenant 'bravo'"):
            uow.scope("acme").runs.add(SyncRun("bravo", SyncKind.FULL, NOW))


def test_the_same_idempotency_key_is_independent_per_tenant(
    uow_factory: UowFactory, populated: dict[str, int]
) -> None:
    with uow_factory() as uow:
        assert uow.scope("acme").inbox.add("evt-1", NOW, {}) is None
        assert uow.scope("bravo").inbox.add("evt-1", NOW, {}) is None
        assert uow.scope("acme").inbox.add("evt-2", NOW, {}) is not None


def test_each_tenant_has_its_own_lease(uow_factory: UowFactory, populated: dict[str, int]) -> None:
    later = NOW + timedelta(minutes=1)
    with uow_factory() as uow:
        assert not uow.scope("acme").leases.acquire("worker-bravo", later, later)
        assert uow.scope("acme").leases.acquire("worker-acme", later, later + timedelta(minutes=5))
        assert uow.scope("bravo").leases.acquire(
            "worker-bravo", later, later + timedelta(minutes=5)
        )

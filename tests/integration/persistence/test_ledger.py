"""Ledger: bulk upserts at scale, chunked reads, email lookups."""

from __future__ import annotations

from collections.abc import Callable

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.model import LedgerEntry, MemberStatus

UowFactory = Callable[[], SqlUnitOfWork]
COUNT = 20_000


def entry(n: int, content: str = "v1") -> LedgerEntry:
    return LedgerEntry(f"client-{n:05d}", f"Person.{n}@Example.com", f"{content}-{n}")


def test_bulk_upsert_of_20000_entries_then_update_half(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        uow.scope("acme").ledger.upsert_many(entry(n) for n in range(COUNT))
        uow.commit()
    with uow_factory() as uow:
        # Every other entry changes, and one is repeated: the last one given wins.
        changed = [entry(n, "v2") for n in range(0, COUNT, 2)] + [entry(4, "v3")]
        uow.scope("acme").ledger.upsert_many(changed)
        uow.commit()
    with uow_factory() as uow:
        ledger = uow.scope("acme").ledger
        assert len(ledger.all_client_ids()) == COUNT
        found = ledger.get_many(f"client-{n:05d}" for n in range(COUNT))
    assert len(found) == COUNT
    assert found["client-00000"].content_hash == "v2-0"
    assert found["client-00001"].content_hash == "v1-1"
    assert found["client-00004"].content_hash == "v3-4"
    assert found["client-19999"] == entry(19999)


def test_get_many_ignores_unknown_and_repeated_ids(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        ledger = uow.scope("acme").ledger
        ledger.upsert_many([entry(1), entry(2)])
        found = ledger.get_many(["client-00001", "client-00001", "nobody"] * 700)
    assert found == {"client-00001": entry(1)}


def test_entries_keep_status_and_error(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    stored = LedgerEntry("c1", "a@b.co", "h", MemberStatus.CLEANED, "looks fake or invalid")
    with uow_factory() as uow:
        uow.scope("acme").ledger.upsert_many([stored])
        assert uow.scope("acme").ledger.get_many(["c1"]) == {"c1": stored}


def test_find_by_email_and_set_member_status_ignore_case(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        ledger = uow.scope("acme").ledger
        ledger.upsert_many([LedgerEntry("c1", "Zoé.OBrien@Exemple.CA", "h")])
        assert ledger.find_by_email("zoé.obrien@exemple.ca") is not None
        assert ledger.find_by_email("ZOÉ.OBRIEN@EXEMPLE.CA") is not None
        assert ledger.find_by_email("someone.else@exemple.ca") is None
        ledger.set_member_status("ZOÉ.obrien@exemple.ca", MemberStatus.UNSUBSCRIBED)
        ledger.set_member_status("nobody@exemple.ca", MemberStatus.CLEANED)  # no-op
        found = ledger.find_by_email("zoé.obrien@exemple.ca")
    assert found is not None
    assert found.member_status is MemberStatus.UNSUBSCRIBED
    assert found.email == "Zoé.OBrien@Exemple.CA"


def test_delete_many_in_chunks_and_clear(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    with uow_factory() as uow:
        ledger = uow.scope("acme").ledger
        ledger.upsert_many(entry(n) for n in range(2_500))
        ledger.delete_many(f"client-{n:05d}" for n in range(2_000))
        assert ledger.all_client_ids() == {f"client-{n:05d}" for n in range(2_000, 2_500)}
        ledger.clear()
        assert ledger.all_client_ids() == set()


def test_member_statuses_in_bulk_by_lowercase_email(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    with uow_factory() as uow:
        ledger = uow.scope("acme").ledger
        ledger.upsert_many(entry(n) for n in range(2_000))
        ledger.set_member_status("person.7@example.com", MemberStatus.PENDING)
        uow.scope("bravo").ledger.upsert_many(
            [LedgerEntry("x", "person.8@example.com", "h", MemberStatus.CLEANED)]
        )
        statuses = ledger.member_statuses(
            [f"PERSON.{n}@example.COM" for n in range(1_990, 2_010)] + ["person.7@example.com"]
        )
    assert statuses["person.7@example.com"] is MemberStatus.PENDING
    assert set(statuses) == {f"person.{n}@example.com" for n in range(1_990, 2_000)} | {
        "person.7@example.com"
    }
    assert all(statuses[f"person.{n}@example.com"] is None for n in range(1_990, 2_000))

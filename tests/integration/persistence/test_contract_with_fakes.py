"""The same cases against the in-memory fake (tests/fakes.py) and the real adapter on SQLite
and PostgreSQL: the fake the use-case tests rely on behaves as the database does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClientDirectory, FakeDatabase
from sqlalchemy import text

from calendarspots_mailchimp.adapters.persistence.client_directory import (
    EmbeddedClientDirectory,
)
from calendarspots_mailchimp.adapters.persistence.database import Database
from calendarspots_mailchimp.adapters.persistence.records import Base
from calendarspots_mailchimp.core.errors import AlreadyExists
from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.ports.clock import FixedClock

from .conftest import T0

Published = list[ActivityEntry]


KINDS = [
    pytest.param("fake", id="fake"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def real_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if kind == "postgresql":
        shared: Database = request.getfixturevalue("postgres_database")
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with shared.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return shared
    database = Database(f"sqlite:///{tmp_path / 'contract.db'}")
    database.upgrade()
    request.addfinalizer(database.dispose)
    return database


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Callable[[], Any], Published]:
    """(a UnitOfWorkFactory, what it published): the fake, or the real adapter."""
    published: Published = []
    if request.param == "fake":
        return FakeDatabase(published.append).uow, published
    database = real_database(request.param, request, tmp_path)
    return database.unit_of_work_factory(published.append), published


@pytest.fixture
def uow(store: tuple[Callable[[], Any], Published]) -> Callable[[], Any]:
    factory = store[0]
    with factory() as unit:
        unit.tenants.add(Tenant("acme", "Acme", "America/Montreal"))
        unit.commit()
    return factory


def entry(kind: ActivityKind, n: int = 0) -> ActivityEntry:
    return ActivityEntry("acme", T0 + timedelta(seconds=n), kind, f"m{n}", {"n": n})


def test_nothing_stays_without_commit_and_nothing_is_published(
    store: tuple[Callable[[], Any], Published], uow: Callable[[], Any]
) -> None:
    published = store[1]
    with uow() as unit:
        unit.scope("acme").activity.add(entry(ActivityKind.CHECK_PASSED))
        unit.scope("acme").token.put(b"secret")
    with uow() as unit:
        assert unit.scope("acme").activity.count() == 0
        assert unit.scope("acme").token.get() is None
    assert published == []


def test_committed_entries_are_published_once_with_their_ids(
    store: tuple[Callable[[], Any], Published], uow: Callable[[], Any]
) -> None:
    published = store[1]
    with uow() as unit:
        first = unit.scope("acme").activity.add(entry(ActivityKind.CHECK_PASSED, 1))
        second = unit.scope("acme").activity.add(entry(ActivityKind.SYNC_SUCCEEDED, 2))
        assert published == []  # not before the commit
        unit.commit()
    assert [e.entry_id for e in published] == [first.entry_id, second.entry_id]
    with uow() as unit:
        newest = unit.scope("acme").activity.list(limit=10)
        only = unit.scope("acme").activity.list(kinds=["sync.succeeded"])
        assert [e.message for e in newest] == ["m2", "m1"]
        assert [e.message for e in only] == ["m2"]
        assert unit.scope("acme").activity.count(["check.passed"]) == 1


def test_a_tenant_id_is_unique(uow: Callable[[], Any]) -> None:
    with uow() as unit, pytest.raises(AlreadyExists):
        unit.tenants.add(Tenant("acme", "Other", "UTC"))


def test_the_ledger_finds_and_updates_by_address_whatever_its_case(uow: Callable[[], Any]) -> None:
    with uow() as unit:
        ledger = unit.scope("acme").ledger
        ledger.upsert_many([LedgerEntry("c1", "Ann@Example.com", "h1", MemberStatus.SUBSCRIBED)])
        ledger.set_member_status("ann@EXAMPLE.com", MemberStatus.UNSUBSCRIBED)
        unit.commit()
    with uow() as unit:
        ledger = unit.scope("acme").ledger
        found = ledger.find_by_email("ANN@example.com")
        assert found is not None and found.member_status == MemberStatus.UNSUBSCRIBED
        assert ledger.member_statuses(["ann@example.com", "x@example.com"]) == {
            "ann@example.com": MemberStatus.UNSUBSCRIBED
        }
        assert ledger.all_client_ids() == {"c1"}


def test_the_inbox_keeps_one_copy_and_is_claimed_once(uow: Callable[[], Any]) -> None:
    with uow() as unit:
        inbox = unit.scope("acme").inbox
        event_id = inbox.add("key-1", T0, {"type": "cleaned"})
        assert event_id is not None
        assert inbox.add("key-1", T0, {"type": "cleaned"}) is None
        unit.commit()
    with uow() as unit:
        inbox = unit.scope("acme").inbox
        assert [i for i, _ in inbox.pending()] == [event_id]
        assert inbox.claim(event_id, T0) is True
        assert inbox.claim(event_id, T0) is False
        inbox.mark_applied(event_id, T0, "applied")
        unit.commit()
    with uow() as unit:
        assert unit.scope("acme").inbox.pending() == []


def test_a_lease_is_one_holder_s_until_it_expires(uow: Callable[[], Any]) -> None:
    with uow() as unit:
        leases = unit.scope("acme").leases
        assert leases.acquire("a", T0, T0 + timedelta(minutes=2))
        assert not leases.acquire("b", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))
        assert leases.acquire("a", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))
        assert leases.acquire("b", T0 + timedelta(minutes=3), T0 + timedelta(minutes=5))
        assert leases.holder() == "b"
        assert leases.held_until() == T0 + timedelta(minutes=5)
        leases.release("b")
        assert leases.holder() is None
        assert leases.held_until() is None


def test_an_oauth_nonce_is_used_once(uow: Callable[[], Any]) -> None:
    with uow() as unit:
        assert unit.oauth_states.use("n1", "acme", T0 + timedelta(minutes=15), T0)
        assert not unit.oauth_states.use("n1", "acme", T0 + timedelta(minutes=15), T0)
        unit.commit()


def test_the_fleets_latest_runs_are_each_tenants_latest_runs(uow: Callable[[], Any]) -> None:
    good = (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)
    plan = {
        # acme: a good night, then more runs than are asked for (none of them a good night).
        "acme": [(SyncKind.NIGHTLY, SyncStatus.PARTIAL)]
        + [(SyncKind.NIGHTLY, SyncStatus.FAILED), (SyncKind.MANUAL, SyncStatus.SUCCEEDED)] * 3,
        "bravo": [(SyncKind.INITIAL, SyncStatus.SUCCEEDED), (SyncKind.NIGHTLY, SyncStatus.HELD)],
        "carla": [],
    }
    with uow() as unit:
        unit.tenants.add(Tenant("bravo", "Bravo", "Europe/Paris"))
        unit.tenants.add(Tenant("carla", "Carla", "Asia/Tokyo"))
        for n in range(7):  # the tenants' runs interleaved, as the nights add them
            for tenant_id, runs in plan.items():
                if n < len(runs):
                    at = T0 + timedelta(days=n, minutes=len(tenant_id))
                    kind, status = runs[n]
                    unit.scope(tenant_id).runs.add(SyncRun(tenant_id, kind, at, status, at))
        unit.commit()
    with uow() as unit:
        each = {t: unit.scope(t).runs.latest(3) for t in plan}
        fleet = list(unit.fleet_runs.latest(3))
        assert [tenant_id for tenant_id, _ in fleet] == ["acme", "bravo"]  # carla: no run
        assert dict(fleet) == {"acme": each["acme"], "bravo": each["bravo"]}
        assert [r.kind for r in dict(fleet)["acme"]] == [
            SyncKind.MANUAL,
            SyncKind.NIGHTLY,
            SyncKind.MANUAL,
        ]
        assert list(unit.fleet_runs.latest(3, ["bravo", "carla", "nobody"])) == [
            ("bravo", each["bravo"])
        ]
        assert list(unit.fleet_runs.latest(3, [])) == []
        # acme's good night is older than its 3 latest runs; bravo's was held, not good.
        assert unit.fleet_runs.last_started(SyncKind.NIGHTLY, good) == {
            "acme": T0 + timedelta(minutes=4)
        }
        assert unit.fleet_runs.last_started(SyncKind.INITIAL, good, ["bravo", "carla"]) == {
            "bravo": T0 + timedelta(minutes=5)
        }


@pytest.fixture(params=KINDS)
def directory(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "fake":
        return FakeClientDirectory()
    database = real_database(request.param, request, tmp_path)
    return EmbeddedClientDirectory(database, clock=FixedClock(T0))


def test_a_directory_marks_by_address_whatever_its_case_idempotently(directory: Any) -> None:
    directory.upsert("acme", [Client("c1", "Ann@Example.com", "Ann", "Lee")])
    directory.upsert("bravo", [Client("c1", "ann@example.com", "Other", "Tenant")])

    first = directory.mark_unsubscribed("acme", "ANN@example.com")
    again = directory.mark_unsubscribed("acme", "ann@example.com")

    assert first is not None and first.client_id == "c1" and first.first_name == "Ann"
    assert again is not None and again.newsletter == NewsletterStatus.UNSUBSCRIBED
    assert directory.mark_cleaned("acme", "nobody@example.com") is None
    mine = {c.client_id: c.newsletter for c in directory.clients("acme")}
    theirs = {c.client_id: c.newsletter for c in directory.clients("bravo")}
    assert mine == {"c1": NewsletterStatus.UNSUBSCRIBED}
    assert theirs == {"c1": NewsletterStatus.SUBSCRIBED}


def test_a_directory_finds_one_client_by_id_or_by_address_whatever_its_case(
    directory: Any,
) -> None:
    directory.upsert("acme", [Client("c1", "Zoé@Exemple.ca", "Zoé", "Lee")])
    directory.upsert("acme", [Client("c2", "c1@example.com", "Id", "Lookalike")])
    directory.upsert("bravo", [Client("c9", "other@example.com", "Other", "Tenant")])

    by_id = directory.find("acme", "c1")
    by_email = directory.find("acme", " zoé@EXEMPLE.ca ")

    assert by_id is not None and (by_id.client_id, by_id.first_name) == ("c1", "Zoé")
    assert by_email is not None and by_email.client_id == "c1"
    assert directory.find("acme", "C1@example.com").client_id == "c2"  # an address, not an id
    assert directory.find("acme", "c9") is None  # another tenant's client
    assert directory.find("acme", "other@example.com") is None
    assert directory.find("acme", "nobody@example.com") is None


def test_a_directory_finds_many_clients_by_id_in_one_batch(directory: Any) -> None:
    directory.upsert(
        "acme", [Client(f"c{i}", f"c{i}@example.com", f"N{i}", "") for i in range(700)]
    )
    directory.upsert("bravo", [Client("b1", "b1@example.com", "Other", "Tenant")])

    found = directory.find_many("acme", [f"c{i}" for i in range(0, 700, 2)] + ["nobody", "b1"])

    assert set(found) == {f"c{i}" for i in range(0, 700, 2)}  # over one chunk; others left out
    assert found["c4"].first_name == "N4" and found["c4"].email == "c4@example.com"
    assert directory.find_many("acme", []) == {}
    assert directory.find_many("bravo", ["c1"]) == {}  # another tenant's client


def changed_ids(
    directory: Any, tenant_id: str, since: str | None
) -> tuple[str, set[str], set[str]]:
    changes = directory.changes(tenant_id, since)
    assert changes is not None
    return changes.marker, {c.client_id for c in changes.clients}, set(changes.removed)


def test_a_directory_tells_the_clients_changed_and_removed_since_a_marker(directory: Any) -> None:
    directory.upsert("acme", [Client(f"c{n}", f"c{n}@example.com", "A", "B") for n in range(5)])
    directory.upsert("bravo", [Client("c1", "c1@example.com", "Other", "Tenant")])
    first, everyone, removed = changed_ids(directory, "acme", None)
    assert everyone == {f"c{n}" for n in range(5)} and removed == set()

    quiet, nothing, removed = changed_ids(directory, "acme", first)
    assert (nothing, removed) == (set(), set())

    directory.upsert("acme", [Client("c1", "c1@example.com", "Renamed", "B")])
    directory.upsert("acme", [Client("c9", "c9@example.com", "New", "B")])
    directory.mark_unsubscribed("acme", "C2@example.com")
    assert directory.remove("acme", ["c3", "c4", "unknown"]) == 2
    directory.upsert("bravo", [Client("c7", "c7@example.com", "Other", "Tenant")])
    directory.remove("bravo", ["c1"])
    later, changed, removed = changed_ids(directory, "acme", quiet)

    assert changed == {"c1", "c2", "c9"}
    assert removed == {"c3", "c4"}
    assert {c.client_id for c in directory.clients("acme")} == {"c0", "c1", "c2", "c9"}
    assert changed_ids(directory, "acme", later)[1:] == (set(), set())
    # From the first marker: everything since, the removed clients included.
    assert changed_ids(directory, "acme", first)[1:] == ({"c1", "c2", "c9"}, {"c3", "c4"})


def test_a_client_removed_then_imported_again_is_changed_not_removed(directory: Any) -> None:
    directory.upsert("acme", [Client("c1", "c1@example.com", "A", "B")])
    marker = changed_ids(directory, "acme", None)[0]

    directory.remove("acme", ["c1"])
    directory.upsert("acme", [Client("c1", "c1@example.com", "Back", "B")])

    assert changed_ids(directory, "acme", marker)[1:] == ({"c1"}, set())


def test_a_directory_does_not_answer_for_a_marker_it_never_gave(directory: Any) -> None:
    directory.upsert("acme", [Client("c1", "c1@example.com", "A", "B")])

    assert directory.changes("acme", "not-a-marker") is None
    assert directory.changes("acme", "999999") is None


def test_the_tenants_using_an_audience(uow: Callable[[], Any]) -> None:
    """R1's look-up (core/services/sharing.py): every tenant whose stored audience is that one,
    whatever its state or account, by id; nobody for the blank audience of the unconnected."""
    with uow() as unit:
        unit.tenants.add(Tenant("zed", "Zed", "UTC", audience_id="list1", account_id="a2"))
        unit.tenants.add(Tenant("bob", "Bob", "UTC", audience_id="list1", account_id="a1"))
        unit.tenants.add(Tenant("eve", "Eve", "UTC", audience_id="list2"))
        unit.commit()
    with uow() as unit:
        assert [t.tenant_id for t in unit.tenants.using_audience("list1")] == ["bob", "zed"]
        assert unit.tenants.using_audience("list1")[0].account_id == "a1"
        assert [t.tenant_id for t in unit.tenants.using_audience("list2")] == ["eve"]
        assert unit.tenants.using_audience("list3") == []
        assert unit.tenants.using_audience("") == []  # acme has no audience yet

"""A sync reads only the clients changed since the last successful one when the directory
offers "changes since <marker>" (ports.client_directory.ChangeFeed), and every client when it
cannot answer; both give the same result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from dependency_injector import providers
from fakes import FakeAudience, FakeClientDirectory
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import Client, MemberStatus, SyncKind, SyncStatus


class HostDirectory:
    """A host platform's directory without the change feed: read whole every night."""

    def __init__(self, inner: FakeClientDirectory) -> None:
        self.inner = inner
        self.reads = 0

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        self.reads += 1
        return self.inner.clients(tenant_id)

    def find(self, tenant_id: str, key: str) -> Client | None:
        return self.inner.find(tenant_id, key)

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_unsubscribed(tenant_id, email)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self.inner.mark_cleaned(tenant_id, email)


def onboarded(fakes: Fakes, clients: int = 30, archive: bool = False) -> FakeAudience:
    _, audience = fakes.connected(clients=clients)
    if archive:
        with fakes.db.uow() as uow:
            uow.tenants.save(replace(fakes.tenant(), archive_removed_clients=True))
            uow.commit()
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    return audience


def test_a_quiet_night_reads_no_client_and_counts_them_all_unchanged(fakes: Fakes) -> None:
    onboarded(fakes)
    marker = fakes.tenant().clients_marker
    assert marker != ""

    report = fakes.container.sync_service().sync("salon")

    assert report.ok and report.counts.unchanged == 30 and report.counts.updated == 0
    assert fakes.tenant().clients_marker not in ("", marker)


def test_a_night_sends_what_changed_since_the_marker_and_archives_what_left(
    fakes: Fakes,
) -> None:
    audience = onboarded(fakes, archive=True)
    rows = fakes.directory.rows["salon"]
    rows["c3"] = replace(rows["c3"], first_name="Renamed")
    del rows["c7"]
    fakes.add_clients(1, start=100)

    report = fakes.container.sync_service().sync("salon")

    assert report.ok
    counts = report.counts
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 28)
    assert audience.members["client3@example.com"].merge_fields["FNAME"] == "Renamed"
    assert audience.members["client7@example.com"].status == MemberStatus.ARCHIVED
    assert "client100@example.com" in audience.members
    with fakes.db.uow() as uow:
        ledger = uow.scope("salon").ledger
        assert "c7" not in ledger.all_client_ids() and ledger.count() == 30
    removed = [
        e for e in fakes.container.tenants().activity("salon")[0] if e.kind == "contact.removed"
    ]
    assert removed[0].details["archived"] == 1


def test_a_held_night_keeps_its_marker_so_the_confirmed_run_sends_the_same_changes(
    fakes: Fakes,
) -> None:
    onboarded(fakes)
    marker = fakes.tenant().clients_marker
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:10]:
        rows[client_id] = replace(rows[client_id], first_name="Blank")
    sync = fakes.container.sync_service()

    assert sync.sync("salon").status == SyncStatus.HELD
    assert fakes.tenant().clients_marker == marker

    released = sync.sync("salon", confirm=True)
    assert released.ok and released.counts.updated == 10 and released.counts.unchanged == 20


def test_removing_many_clients_is_held_by_the_guard_from_the_tombstones(fakes: Fakes) -> None:
    onboarded(fakes, archive=True)
    assert fakes.directory.remove("salon", ["c1", "c2", "c3"]) == 3

    report = fakes.container.sync_service().sync("salon")

    assert report.status == SyncStatus.HELD
    assert report.held is not None and (report.held["archives"], report.held["members"]) == (3, 30)


def test_an_unknown_marker_means_every_client_is_read(fakes: Fakes) -> None:
    onboarded(fakes)
    with fakes.db.uow() as uow:
        uow.tenants.save(replace(fakes.tenant(), clients_marker="from-another-database"))
        uow.commit()
    rows = fakes.directory.rows["salon"]
    rows["c4"] = replace(rows["c4"], last_name="Changed")

    report = fakes.container.sync_service().sync("salon")

    assert report.ok and (report.counts.updated, report.counts.unchanged) == (1, 29)
    assert fakes.tenant().clients_marker.isdigit()


def test_a_host_directory_without_the_change_feed_is_read_whole_every_night(
    fakes: Fakes,
) -> None:
    host = HostDirectory(fakes.directory)
    fakes.container.directory.override(providers.Object(host))
    onboarded(fakes, archive=True)
    del fakes.directory.rows["salon"]["c5"]

    report = fakes.container.sync_service().sync("salon")

    assert report.ok and report.counts.unchanged == 29 and host.reads == 2
    assert fakes.tenant().clients_marker == "" and fakes.directory.change_reads == 0
    with fakes.db.uow() as uow:
        assert "c5" not in uow.scope("salon").ledger.all_client_ids()

"""The mass-change guard on fakes: held at 21 %, through at 19 %, released by --confirm, the
initial sync exempt, a dry run says it would hold, and it costs no extra API call."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakeAudience
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import Client, ConnectionState, SyncKind, SyncStatus
from calendarspots_mailchimp.core.services.sync.guard import Guard, assess


def onboarded(fakes: Fakes, clients: int = 100) -> FakeAudience:
    _, audience = fakes.connected(clients=clients)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    return audience


def rename(fakes: Fakes, count: int) -> None:
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:count]:
        rows[client_id] = replace(rows[client_id], first_name="Blank")


def test_a_change_of_21_percent_is_held_and_nothing_is_sent(fakes: Fakes) -> None:
    audience = onboarded(fakes)
    rename(fakes, 21)
    account = next(iter(fakes.mailchimp.accounts.values()))
    calls = account.calls

    report = fakes.container.sync_service().sync("salon")

    assert report.status == SyncStatus.HELD and not report.ok
    assert report.held is not None and report.held["updates"] == 21
    assert report.held["members"] == 100 and report.held["update_percent"] == 21.0
    assert all(m.merge_fields["FNAME"] != "Blank" for m in audience.members.values())
    assert account.calls - calls <= 5  # lists, fields, webhooks, changes: no extra call
    tenant = fakes.tenant()
    assert (tenant.state, tenant.state_reason) == (ConnectionState.NEEDS_ATTENTION, "held")
    assert fakes.kinds()[0] == "sync.held"


def test_a_change_of_19_percent_goes_through(fakes: Fakes) -> None:
    audience = onboarded(fakes)
    rename(fakes, 19)

    report = fakes.container.sync_service().sync("salon")

    assert report.ok and report.counts.updated == 19
    assert sum(m.merge_fields["FNAME"] == "Blank" for m in audience.members.values()) == 19


def test_confirm_releases_a_held_change(fakes: Fakes) -> None:
    audience = onboarded(fakes)
    rename(fakes, 40)
    sync = fakes.container.sync_service()
    assert sync.sync("salon").status == SyncStatus.HELD

    released = sync.sync("salon", confirm=True)

    assert released.ok and released.counts.updated == 40
    assert sum(m.merge_fields["FNAME"] == "Blank" for m in audience.members.values()) == 40
    assert fakes.tenant().state == ConnectionState.CONNECTED


def test_the_initial_sync_and_a_full_resend_of_the_same_content_are_not_held(
    fakes: Fakes,
) -> None:
    onboarded(fakes)  # 100 members created: exempt

    assert fakes.container.sync_service().sync("salon", SyncKind.FULL, full=True).ok


def test_a_dry_run_says_it_would_hold_and_changes_nothing(fakes: Fakes) -> None:
    onboarded(fakes)
    rename(fakes, 30)

    report = fakes.container.sync_service().sync("salon", dry_run=True)

    assert report.plan["held"] and report.status != SyncStatus.HELD
    assert fakes.tenant().state == ConnectionState.CONNECTED


def test_removing_more_than_5_percent_with_archiving_is_held(fakes: Fakes) -> None:
    onboarded(fakes)
    with fakes.db.uow() as uow:
        uow.tenants.save(replace(fakes.tenant(), archive_removed_clients=True))
        uow.commit()
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:6]:
        del rows[client_id]

    report = fakes.container.sync_service().sync("salon")

    assert report.status == SyncStatus.HELD
    assert report.held is not None and report.held["archives"] == 6


def test_a_held_night_is_not_held_again_every_few_minutes(fakes: Fakes) -> None:
    from datetime import UTC, datetime

    onboarded(fakes)
    rename(fakes, 50)
    night = datetime(2031, 3, 4, 8, 30, tzinfo=UTC)
    nightly = fakes.container.nightly_service()

    [outcome] = nightly.run(night)

    assert outcome.night == "held"
    assert nightly.due(night) == []
    assert fakes.kinds().count("sync.held") == 1


@pytest.mark.parametrize(
    ("members", "updates", "archives", "held"),
    [
        (100, 20, 0, False),
        (100, 21, 0, True),
        (100, 0, 5, False),
        (100, 0, 6, True),
        (19, 19, 0, False),
    ],
)
def test_the_rule(members: int, updates: int, archives: int, held: bool) -> None:
    assert (assess(Guard(20, 5), members, updates, archives) is not None) is held


def test_a_client_gone_without_archiving_is_not_a_mass_change(fakes: Fakes) -> None:
    onboarded(fakes)
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:50]:
        del rows[client_id]
    fakes.directory.upsert("salon", [Client("new", "new@example.com")])

    assert fakes.container.sync_service().sync("salon").ok


def test_a_tenants_own_update_threshold_wins_over_the_setting(fakes: Fakes) -> None:
    onboarded(fakes)
    tenants = fakes.container.tenants()
    rename(fakes, 15)
    tenants.set_guard("salon", update_percent=10)

    held = fakes.container.sync_service().sync("salon")

    assert held.status == SyncStatus.HELD
    assert held.held is not None and held.held["update_limit"] == 10
    tenants.set_guard("salon", update_percent=50)
    rename(fakes, 40)
    assert fakes.container.sync_service().sync("salon").ok  # 40 % under its own 50 %


def test_a_tenants_own_archive_threshold_and_back_to_the_setting(fakes: Fakes) -> None:
    onboarded(fakes)
    with fakes.db.uow() as uow:
        uow.tenants.save(replace(fakes.tenant(), archive_removed_clients=True))
        uow.commit()
    fakes.container.tenants().set_guard("salon", archive_percent=10)
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:8]:
        del rows[client_id]
    assert fakes.container.sync_service().sync("salon", dry_run=True).plan.get("held") in (None, [])

    fakes.container.tenants().set_guard("salon", archive_percent=None)  # the setting's 5 %

    report = fakes.container.sync_service().sync("salon")
    assert report.status == SyncStatus.HELD and report.held is not None
    assert report.held["archive_limit"] == 5


def test_guard_thresholds_out_of_range_are_refused(fakes: Fakes) -> None:
    from calendarspots_mailchimp.core.errors import InvalidInput

    fakes.connected(clients=1)
    for share in (0, -1, 100.5):
        with pytest.raises(InvalidInput):
            fakes.container.tenants().set_guard("salon", update_percent=share)
    assert fakes.tenant().guard_update_percent is None

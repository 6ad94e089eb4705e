"""R4 on fakes: the schedule is asked about an instant given as an argument; no clock is
swapped, so the syncs it starts keep the real time while counting for the pretended night."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import SyncKind, SyncRun, SyncStatus

NIGHT = datetime(2031, 3, 4, 8, 30, tzinfo=UTC)  # 03:30 in Montréal


def test_a_pretended_night_is_synced_once_for_that_night(fakes: Fakes) -> None:
    fakes.connected(clients=2)
    nightly = fakes.container.nightly_service()

    outcomes = nightly.run(NIGHT)

    assert [(o.tenant_id, o.ok) for o in outcomes] == [("salon", True)]
    tenant = fakes.tenant()
    assert tenant.last_sync_local_date == date(2031, 3, 4)
    assert tenant.last_sync_at is not None and tenant.last_sync_at.year == 2026  # real time
    assert nightly.due(NIGHT) == []  # once per local night
    assert nightly.run(NIGHT) == []


def test_only_tenants_whose_night_has_come_are_due(fakes: Fakes) -> None:
    fakes.connected("montreal", clients=1)
    fakes.add_tenant("never-connected")

    assert fakes.container.nightly_service().due(datetime(2031, 3, 4, 15, 0, tzinfo=UTC)) == []
    assert [d.tenant_id for d in fakes.container.nightly_service().due(NIGHT)] == ["montreal"]


def test_a_manual_sync_today_does_not_take_tonight(fakes: Fakes) -> None:
    fakes.connected(clients=1)
    assert fakes.container.sync_service().sync("salon", SyncKind.MANUAL).ok

    assert [d.tenant_id for d in fakes.container.nightly_service().due(NIGHT)] == ["salon"]


AFTERNOON = datetime(2031, 3, 4, 20, 0, tzinfo=UTC)  # 15:00 in Montréal: outside the night


def _onboarding_began(fakes: Fakes, status: SyncStatus, at: datetime) -> None:
    """An initial sync that began at `at` and is still marked `status`."""
    with fakes.db.uow() as uow:
        run = uow.scope("salon").runs.add(SyncRun("salon", SyncKind.INITIAL, at))
        if status != SyncStatus.RUNNING:
            run.status, run.finished_at, run.message = status, at, "MailChimp is unavailable"
            uow.scope("salon").runs.save(run)
        uow.commit()


def test_an_onboarding_cut_short_is_due_at_once_but_not_while_a_live_process_runs_it(
    fakes: Fakes,
) -> None:
    fakes.connected(clients=3)
    now = fakes.clock.now()  # the lease is taken and checked by the clock, not the schedule
    _onboarding_began(fakes, SyncStatus.RUNNING, now - timedelta(minutes=3))
    with fakes.db.uow() as uow:  # another host's process holds the lease for a while yet
        assert uow.scope("salon").leases.acquire("elsewhere:1:x", now, now + timedelta(minutes=2))
        uow.commit()
    nightly = fakes.container.nightly_service()
    assert nightly.due(now) == []  # not even in its night: it is running
    assert fakes.container.owner_page().view("salon").first_sync_in_progress
    assert fakes.container.fleet_status().view("salon").tenants[0].onboarding
    with fakes.db.uow() as uow:  # the process died: its lease runs out
        assert uow.scope("salon").leases.acquire("elsewhere:1:x", now, now - timedelta(seconds=1))
        uow.commit()

    assert [(d.tenant_id, d.reason) for d in nightly.due(AFTERNOON)] == [("salon", "resume")]
    (outcome,) = nightly.run(AFTERNOON)

    assert outcome.ok
    assert fakes.tenant().last_sync_at is not None
    assert not fakes.container.owner_page().view("salon").first_sync_in_progress
    assert nightly.due(AFTERNOON + timedelta(minutes=10)) == []


def test_a_failed_onboarding_is_retried_with_a_growing_delay(fakes: Fakes) -> None:
    fakes.connected(clients=1)
    _onboarding_began(fakes, SyncStatus.FAILED, AFTERNOON)
    nightly = fakes.container.nightly_service()

    assert nightly.due(AFTERNOON + timedelta(minutes=10)) == []
    assert [d.reason for d in nightly.due(AFTERNOON + timedelta(minutes=16))] == ["resume"]

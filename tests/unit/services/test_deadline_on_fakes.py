"""A run's overall deadline (issue 11 point 1, CS_MAILCHIMP_RUN_DEADLINE) on fakes: past it,
the run stops cleanly between batches, records what it did as a failed sync with the reason
`deadline`, leaves the ledger true to what MailChimp has, and the tenant stays due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import SyncKind, SyncStatus
from calendarspots_mailchimp.core.services.sync.report import Failure
from calendarspots_mailchimp.entrypoints.messages import render

NIGHT = datetime(2031, 3, 4, 8, 30, tzinfo=UTC)  # 03:30 in Montréal
TONIGHT = date(2031, 3, 4)


def test_a_run_past_its_deadline_stops_between_batches_and_the_tenant_stays_due(
    fakes: Fakes,
) -> None:
    _, audience = fakes.connected(clients=1200)  # three batches of up to 500
    sync = fakes.container.sync_service()  # the default deadline: 3 hours

    def slow(stage: str, done: int) -> None:
        if stage == "push":
            fakes.clock.advance(hours=4)  # the first batch took four hours (a long throttle)

    report = sync.sync("salon", SyncKind.NIGHTLY, night=TONIGHT, progress=slow)

    assert report.status == SyncStatus.FAILED and report.failure == Failure.DEADLINE
    assert report.counts.created == 500  # what it did, reported
    assert len(audience.members) == 500  # nothing more was sent
    with fakes.db.uow() as uow:
        scope = uow.scope("salon")
        ledger = scope.ledger.get_many(scope.ledger.all_client_ids())
        [run] = scope.runs.latest(1)
    assert {e.email.lower() for e in ledger.values()} == set(audience.members)
    assert run.status == SyncStatus.FAILED and run.message == "deadline"
    tenant = fakes.tenant()
    assert tenant.last_sync_local_date is None and tenant.members_checked_at is None
    entries, _ = fakes.container.tenants().activity("salon", limit=5, kinds=["sync.failed"])
    assert entries[0].details["failure"] == "deadline"
    assert entries[0].details["counts"]["created"] == 500
    assert "time limit" in render(entries[0], "en")
    assert "durée maximale" in render(entries[0], "fr")
    # Still due tonight, after the usual wait for a failed night.
    assert fakes.container.nightly_service().due(NIGHT + timedelta(minutes=20))

    rest = sync.sync("salon", SyncKind.NIGHTLY, night=TONIGHT)

    assert rest.ok and (rest.counts.created, rest.counts.unchanged) == (700, 500)
    assert len(audience.members) == 1200


def test_a_deadline_passed_before_the_push_sends_nothing(fakes: Fakes) -> None:
    _, audience = fakes.connected(clients=3)
    sync = fakes.container.sync_service(run_deadline=timedelta(0))

    report = sync.sync("salon", SyncKind.INITIAL)

    assert report.failure == Failure.DEADLINE
    assert audience.members == {}
    assert fakes.tenant().last_sync_at is None

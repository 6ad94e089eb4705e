"""R4 on fakes: the schedule is asked about an instant given as an argument; no clock is
swapped, so the syncs it starts keep the real time while counting for the pretended night."""

from __future__ import annotations

from datetime import UTC, date, datetime

from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import SyncKind

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

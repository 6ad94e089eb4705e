"""`status` on fakes: tenants by state, each tenant's last night, who is overdue (two local
nights without a successful sync, in the tenant's own time zone) and who needs attention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fakes import FakeMailChimpAccount
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import NotFound
from calendarspots_mailchimp.core.model import ConnectionState, SyncKind, Tenant
from calendarspots_mailchimp.core.services.fleet import Attention, glance
from calendarspots_mailchimp.core.services.fleet_nights import last_completed_night, nights_missed
from calendarspots_mailchimp.entrypoints.messages import status_json, status_lines
from calendarspots_mailchimp.ports.mailchimp import MailChimpError

# The fakes' clock starts at 2026-11-20 12:00 UTC: 07:00 in Montréal, after its night.
NIGHT = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # 02:30 in Montréal


def edit(fakes: Fakes, tenant_id: str, **changes: Any) -> None:
    with fakes.db.uow() as uow:
        tenant = uow.tenants.get(tenant_id)
        assert tenant is not None
        uow.tenants.save(replace(tenant, **changes))
        uow.commit()


def test_the_fleet_by_state_last_night_overdue_and_attention(fakes: Fakes) -> None:
    fakes.connected("anne", clients=2)
    fakes.connected("bea", clients=1)
    revoked, _ = fakes.connected("carl", clients=1)
    fakes.connected("dora", clients=1)
    fakes.add_tenant("eve")
    fakes.mailchimp.revoke(revoked)
    outcomes = fakes.container.nightly_service().run(NIGHT)
    assert {o.tenant_id: o.ok for o in outcomes} == {
        "anne": True,
        "bea": True,
        "carl": False,
        "dora": True,
    }
    edit(fakes, "bea", last_sync_local_date=date(2026, 11, 18))  # as if two nights missed
    fakes.container.disconnect_service().disconnect("dora")

    view = fakes.container.fleet_status().view()

    assert view.by_state() == {
        "not_connected": 1,
        "connected": 2,
        "needs_attention": 0,
        "needs_reauthorization": 1,
        "disconnected": 1,
    }
    assert view.last_night() == {
        "succeeded": 2,
        "partial": 0,
        "failed": 0,
        "held": 0,
        "running": 0,
        "not_run": 0,
    }  # carl's failed run left it needing re-authorization: not connected any more
    assert [g.tenant.tenant_id for g in view.overdue()] == ["bea"]
    assert view.overdue()[0].nights_missed == 2
    attention = [(p.tenant_id, p.code, p.reason) for p in view.attention()]
    assert attention == [("bea", Attention.OVERDUE, ""), ("carl", Attention.REAUTHORIZE, "revoked")]


def test_a_failed_night_and_a_night_not_run_are_told_apart(fakes: Fakes) -> None:
    account, audience = fakes.connected("anne", clients=1)
    fakes.connected("bea", clients=1)
    assert fakes.container.sync_service().sync("anne", SyncKind.INITIAL).ok
    edit(fakes, "anne", last_sync_local_date=date(2026, 11, 19))  # synced the night before
    account.audiences_.clear()  # the audience was deleted in MailChimp
    assert not fakes.container.nightly_service().run_one("anne").ok
    edit(fakes, "bea", webhook_id="wh1")

    view = fakes.container.fleet_status().view()

    night = {g.tenant.tenant_id: g.last_night for g in view.tenants}
    assert night == {"anne": "failed", "bea": "not_run"}
    anne = view.tenants[0]
    assert anne.tenant.state == ConnectionState.NEEDS_ATTENTION
    assert [(p.code, p.facts) for p in anne.problems] == [
        (Attention.AUDIENCE, {"list": "calendarspots"})
    ]
    # The reason is a code with its facts; the entry points word it.
    assert anne.problems[0].reason.startswith("audience.deleted ")
    assert audience.audience_id in anne.problems[0].reason
    from calendarspots_mailchimp.entrypoints.messages import attention_why

    assert "was deleted" in attention_why(anne.problems[0])
    assert "a été supprimée" in attention_why(anne.problems[0], "fr")


def test_one_tenant_and_an_unknown_one(fakes: Fakes) -> None:
    fakes.connected("anne", clients=1)
    fakes.add_tenant("bea")
    assert fakes.container.sync_service().sync("anne", SyncKind.INITIAL).ok

    view = fakes.container.fleet_status().view("anne")

    assert [g.tenant.tenant_id for g in view.tenants] == ["anne"]
    only = view.tenants[0]
    assert (only.overdue, only.nights_missed, only.problems) == (False, 0, ())
    assert only.last_ok == date(2026, 11, 20) and only.night == date(2026, 11, 20)
    with pytest.raises(NotFound, match="nobody"):
        fakes.container.fleet_status().view("nobody")


def test_a_connected_tenant_that_never_synced_is_overdue(fakes: Fakes) -> None:
    fakes.connected("anne", clients=1)  # authorized, the initial sync never ran

    (anne,) = fakes.container.fleet_status().view().tenants

    assert anne.overdue and anne.nights_missed is None
    assert [p.code for p in anne.problems] == [Attention.WEBHOOK_MISSING, Attention.OVERDUE]


def tenant(
    zone: str, last: date | None, state: ConnectionState = ConnectionState.CONNECTED
) -> Tenant:
    return Tenant("t", "T", zone, state=state, webhook_id="wh", last_sync_local_date=last)


def test_overdue_counts_the_nights_that_ended_in_the_tenants_own_time_zone() -> None:
    at = datetime(
        2026, 11, 20, 0, 0, tzinfo=UTC
    )  # 09:00 in Tokyo, 19:00 the day before in Montréal
    last = date(2026, 11, 18)
    tokyo, montreal = tenant("Asia/Tokyo", last), tenant("America/Montreal", last)

    assert last_completed_night(tokyo, at, 5) == date(2026, 11, 20)
    assert last_completed_night(montreal, at, 5) == date(2026, 11, 19)
    assert (nights_missed(tokyo, at, 5), nights_missed(montreal, at, 5)) == (2, 1)
    assert glance(tokyo, [], at, 1, 5).overdue
    assert not glance(montreal, [], at, 1, 5).overdue


def test_a_night_under_way_is_not_missed_yet() -> None:
    during = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 03:00 in Montréal
    after = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 05:00 in Montréal: the night ended
    t = tenant("America/Montreal", date(2026, 11, 18))

    assert (nights_missed(t, during, 5), nights_missed(t, after, 5)) == (1, 2)
    assert not glance(t, [], during, 1, 5).overdue and glance(t, [], after, 1, 5).overdue


def test_only_connected_tenants_can_be_overdue_or_have_a_last_night() -> None:
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for state in (ConnectionState.NOT_CONNECTED, ConnectionState.DISCONNECTED):
        g = glance(tenant("America/Montreal", None, state), [], at, 1, 5)
        assert (g.overdue, g.last_night, g.problems) == (False, "", ())
    revoked = glance(tenant("UTC", None, ConnectionState.NEEDS_REAUTHORIZATION), [], at, 1, 5)
    assert [p.code for p in revoked.problems] == [Attention.REAUTHORIZE]
    assert not revoked.overdue


def test_a_held_tenant_is_told_with_the_confirm_fix(fakes: Fakes) -> None:
    from dataclasses import replace

    from calendarspots_mailchimp.core.model import ConnectionState
    from calendarspots_mailchimp.entrypoints.messages import status_json

    fakes.connected("salon", clients=1)
    with fakes.db.uow() as uow:
        held = fakes.tenant().with_state(ConnectionState.NEEDS_ATTENTION, "held")
        uow.tenants.save(replace(held, webhook_id="w1"))
        uow.commit()

    data = status_json(fakes.container.fleet_status().view())

    [attention] = [a for a in data["attention"] if a["code"] == "sync_held"]
    assert "cs-mailchimp sync salon --confirm" in attention["fix"]


def _sync_fails(*args: Any, **kwargs: Any) -> Any:
    raise MailChimpError(503, "Service Unavailable", "MailChimp is down for maintenance.")


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """That wall time in Montréal (UTC-5 in November)."""
    return datetime(2026, 11, day, hour + 5, minute, tzinfo=UTC)


def _synced_on_the_19th(fakes: Fakes) -> None:
    """Authorized on the 18th (the initial sync), the night of the 19th succeeded."""
    fakes.connected("anne", clients=2)
    fakes.clock.at = _local(18, 12)
    assert fakes.container.sync_service().sync("anne", SyncKind.INITIAL).ok
    fakes.clock.at = _local(19, 2, 30)
    assert fakes.container.nightly_service().run_one("anne").ok


def test_a_manual_sync_after_a_failed_night_is_a_sync_not_a_night(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _synced_on_the_19th(fakes)
    fakes.clock.at = _local(20, 2, 30)
    with monkeypatch.context() as patch:
        patch.setattr(FakeMailChimpAccount, "merge_fields", _sync_fails)
        assert not fakes.container.nightly_service().run_one("anne").ok
    fakes.clock.at = _local(20, 10)  # the operator syncs by hand in the morning
    assert fakes.container.sync_service().sync("anne", SyncKind.MANUAL).ok

    view = fakes.container.fleet_status().view("anne")

    (anne,) = view.tenants
    # Before: "last successful night: 2026-11-20" beside "last night (2026-11-20): failed".
    assert (anne.night, anne.last_night) == (date(2026, 11, 20), "failed")
    assert anne.last_good_night == date(2026, 11, 19)
    # The manual sync did send the changes: a sync, so the tenant is not overdue.
    assert (anne.last_ok, anne.nights_missed, anne.overdue) == (date(2026, 11, 20), 0, False)
    lines = status_lines(view, one=True)
    assert lines[1].endswith("last successful night: 2026-11-19")
    assert lines[2] == "  last night (2026-11-20): failed"
    data = status_json(view)["tenants"][0]
    assert (data["last_successful_night"], data["last_successful_sync"]) == (
        "2026-11-19",
        "2026-11-20",
    )


def test_a_manual_sync_before_the_night_leaves_the_night_not_run(fakes: Fakes) -> None:
    _synced_on_the_19th(fakes)
    fakes.clock.at = _local(20, 0, 30)  # by hand, half an hour before the night starts
    assert fakes.container.sync_service().sync("anne", SyncKind.MANUAL).ok
    fakes.clock.at = _local(20, 2, 30)
    assert fakes.container.nightly_service().run(fakes.clock.now()) == []  # already synced
    fakes.clock.at = _local(20, 7)

    (anne,) = fakes.container.fleet_status().view().tenants

    # Before: "last successful night: 2026-11-20" beside "last night (2026-11-20): not run".
    assert (anne.night, anne.last_night, anne.last_good_night) == (
        date(2026, 11, 20),
        "not_run",
        date(2026, 11, 19),
    )
    assert (anne.last_ok, anne.overdue) == (date(2026, 11, 20), False)


def test_the_initial_sync_is_a_sync_not_a_night(fakes: Fakes) -> None:
    fakes.connected("anne", clients=1)
    fakes.clock.at = _local(20, 14)
    assert fakes.container.sync_service().sync("anne", SyncKind.INITIAL).ok
    fakes.clock.at = _local(22, 12)  # two nights later, neither of them synced

    (anne,) = fakes.container.fleet_status().view().tenants

    assert (anne.last_night, anne.last_good_night, anne.last_ok) == (
        "not_run",
        None,
        date(2026, 11, 20),
    )
    assert (anne.nights_missed, anne.overdue) == (2, True)
    assert [p.facts["last_ok"] for p in anne.problems if p.code == Attention.OVERDUE] == [
        date(2026, 11, 20)
    ]

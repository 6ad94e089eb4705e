"""R1, one audience per business (core/services/sharing.py): two tenants that authorize the same
MailChimp account find its one `calendarspots` audience; the first keeps it, the second is not
synced into it and needs attention until it has an audience of its own."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakeAudience, FakeMailChimpAccount
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import coded, decoded
from calendarspots_mailchimp.core.model import ConnectionState, SyncKind, SyncStatus, Tenant
from calendarspots_mailchimp.core.services import sharing
from calendarspots_mailchimp.core.services.attention import attention_state
from calendarspots_mailchimp.core.services.connect import Connected, ConnectResult
from calendarspots_mailchimp.core.services.fleet import Attention, state_problem
from calendarspots_mailchimp.core.services.oauth_state import make_state


def authorize(fakes: Fakes, tenant_id: str) -> ConnectResult:
    """The owner approves on MailChimp (the account `fakes.mailchimp.approving`) and lands back."""
    state = make_state(tenant_id, fakes.container.settings().secret_key, fakes.clock.now())
    return fakes.container.connect_service().callback(fakes.mailchimp.approve(), state)


def first_salon(fakes: Fakes) -> tuple[FakeMailChimpAccount, FakeAudience]:
    """`salon`, connected and synced: three clients in its account's audience."""
    fakes.add_tenant("salon")
    fakes.add_clients(3, "salon")
    account = fakes.mailchimp.add_account("Salon Belle")
    audience = fakes.mailchimp.add_audience(account)
    assert authorize(fakes, "salon").ok
    return account, audience


def barbier_clients(fakes: Fakes) -> None:
    fakes.add_tenant("barbier")
    fakes.add_clients(2, "barbier", start=100)


def test_a_second_tenant_of_the_same_account_is_not_synced_into_the_first_one_s_audience(
    fakes: Fakes,
) -> None:
    account, audience = first_salon(fakes)
    barbier_clients(fakes)

    result = authorize(fakes, "barbier")  # the same MailChimp account approves

    assert not result.ok and result.outcome == Connected.CHECK_FAILED
    found = decoded(result.error)
    assert found is not None and found[0] == "audience.shared"
    assert found[1] == {"list": "calendarspots", "id": audience.audience_id, "other": "salon"}
    barbier = fakes.tenant("barbier")
    assert barbier.state == ConnectionState.NEEDS_ATTENTION
    assert sharing.shared_with(barbier) == "salon"
    assert (barbier.audience_id, barbier.webhook_id) == ("", "")  # it never took the audience
    assert barbier.account_id == account.account_id_  # still authorized: it may sync later
    assert sorted(audience.members) == [f"client{i}@example.com" for i in range(3)]
    assert len(audience.webhooks) == 1  # salon's only
    assert fakes.kinds("barbier") == ["check.failed", "authorization.granted"]
    [failed] = fakes.container.tenants().activity("barbier", kinds=["check.failed"])[0]
    assert failed.details["problems"] == ["shared-audience"]
    assert (failed.details["code"], failed.details["facts"]["other"]) == (
        "audience.shared",
        "salon",
    )

    # What needs attention: the status's problem and the host's notice.
    problem = state_problem(barbier)
    assert problem is not None and problem.code == Attention.AUDIENCE_SHARED
    assert problem.facts == {"list": "calendarspots", "other": "salon"}
    assert attention_state(barbier, fakes.clock.now(), 5) == "audience_shared"
    assert fakes.container.owner_page().view("barbier").problems[0]["code"] == "audience_shared"

    # Its syncs and checks send nothing there; the first tenant keeps working.
    report = fakes.container.sync_service().sync("barbier", SyncKind.NIGHTLY)
    assert report.status == SyncStatus.FAILED and report.error.startswith("audience.shared ")
    check = fakes.container.check_service().check("barbier", fix=True)
    assert not check.ok and check.problems == ["shared-audience"] and check.fixed == []
    assert len(audience.members) == 3
    assert fakes.tenant("barbier").state == ConnectionState.NEEDS_ATTENTION
    fakes.add_clients(1, "salon", start=3)
    salon = fakes.container.sync_service().sync("salon", SyncKind.MANUAL)
    assert salon.status == SyncStatus.SUCCEEDED and salon.counts.created == 1
    assert fakes.tenant("salon").state == ConnectionState.CONNECTED
    assert state_problem(fakes.tenant("salon")) is None

    # The fix: the first tenant is disconnected; the second one's next sync takes the audience.
    fakes.container.disconnect_service().disconnect("salon")
    taken = fakes.container.sync_service().sync("barbier", SyncKind.NIGHTLY)
    assert taken.status == SyncStatus.SUCCEEDED and taken.counts.created == 2
    barbier = fakes.tenant("barbier")
    assert (barbier.state, barbier.audience_id) == (ConnectionState.CONNECTED, audience.audience_id)


def test_the_second_tenant_authorizing_an_account_of_its_own_is_synced_there(
    fakes: Fakes,
) -> None:
    first_salon(fakes)
    barbier_clients(fakes)
    assert not authorize(fakes, "barbier").ok

    own = fakes.mailchimp.add_account("Barbier")  # the owner logs into their own account
    mine = fakes.mailchimp.add_audience(own)
    result = authorize(fakes, "barbier")

    assert result.ok, result.error
    assert fakes.tenant("barbier").state == ConnectionState.CONNECTED
    assert len(mine.members) == 2


def test_tenants_that_shared_an_audience_before_the_rule_stop_at_the_next_sync(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both synced into one audience before this rule: the first one synced after it lets the
    audience go — its webhook there, its ledger — and the other keeps it."""
    _, audience = first_salon(fakes)
    barbier_clients(fakes)
    with monkeypatch.context() as before_the_rule:
        before_the_rule.setattr(sharing, "holder", lambda *args: None)
        assert authorize(fakes, "barbier").ok
    assert len(audience.members) == 5 and len(audience.webhooks) == 2
    salon_hook = fakes.tenant("salon").webhook_id

    dry = fakes.container.sync_service().sync("barbier", SyncKind.MANUAL, dry_run=True)
    assert dry.status == SyncStatus.FAILED
    assert fakes.tenant("barbier").audience_id == audience.audience_id  # a dry run changes nothing

    report = fakes.container.sync_service().sync("barbier", SyncKind.MANUAL)

    assert report.status == SyncStatus.FAILED and report.error.startswith("audience.shared ")
    barbier = fakes.tenant("barbier")
    assert sharing.shared_with(barbier) == "salon"
    assert (barbier.audience_id, barbier.webhook_id, barbier.members_checked_at) == ("", "", None)
    with fakes.db.uow() as uow:
        assert uow.scope("barbier").ledger.count() == 0
        assert uow.scope("salon").ledger.count() == 3
    assert list(audience.webhooks) == [salon_hook]  # barbier's webhook there is removed
    assert fakes.kinds("barbier")[:2] == ["sync.failed", "check.failed"]
    salon = fakes.container.sync_service().sync("salon", SyncKind.MANUAL)
    assert salon.status == SyncStatus.SUCCEEDED
    assert state_problem(fakes.tenant("salon")) is None


def test_of_a_pair_from_before_the_rule_the_one_that_began_syncing_first_keeps_the_audience(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whichever is synced first after the rule: here the first business (`salon`, which
    began syncing before `barbier`) is synced first and keeps its audience; `barbier` lets
    it go at its own next sync."""
    _, audience = first_salon(fakes)
    barbier_clients(fakes)
    with monkeypatch.context() as before_the_rule:
        before_the_rule.setattr(sharing, "holder", lambda *args: None)
        assert authorize(fakes, "barbier").ok

    salon = fakes.container.sync_service().sync("salon", SyncKind.MANUAL)

    assert salon.status == SyncStatus.SUCCEEDED, salon.error
    assert fakes.tenant("salon").audience_id == audience.audience_id
    assert fakes.tenant("salon").state == ConnectionState.CONNECTED
    assert fakes.tenant("barbier").audience_id == audience.audience_id  # not yet checked
    report = fakes.container.sync_service().sync("barbier", SyncKind.MANUAL)
    assert report.status == SyncStatus.FAILED and report.error.startswith("audience.shared ")
    assert sharing.shared_with(fakes.tenant("barbier")) == "salon"
    assert fakes.tenant("barbier").audience_id == ""


BASE = Tenant(
    "me",
    "Me",
    "UTC",
    api_endpoint="https://us1.api.mailchimp.test",
    account_name="Salon Belle",
    account_id="acct1",
    state=ConnectionState.CONNECTED,
)
SHARED = coded("audience.shared", {"list": "calendarspots", "id": "list1", "other": "x"})


@pytest.mark.parametrize(
    ("other", "holds"),
    [
        (replace(BASE, tenant_id="a"), True),
        (replace(BASE, tenant_id="a", account_name="Renamed"), True),  # the id decides
        (replace(BASE, tenant_id="a", account_id="acct2"), False),  # another account
        (replace(BASE, tenant_id="a", account_id=""), True),  # no id: data center and name
        (replace(BASE, tenant_id="a", account_id="", account_name="Other"), False),
        (replace(BASE, tenant_id="a").with_state(ConnectionState.NEEDS_REAUTHORIZATION), True),
        (replace(BASE, tenant_id="a").with_state(ConnectionState.NEEDS_ATTENTION, "held"), True),
        (replace(BASE, tenant_id="a").with_state(ConnectionState.DISCONNECTED), False),
        (replace(BASE, tenant_id="a").with_state(ConnectionState.NOT_CONNECTED), False),
        (replace(BASE, tenant_id="a").with_state(ConnectionState.NEEDS_ATTENTION, SHARED), False),
        (BASE, False),  # itself
    ],
)
def test_who_holds_an_audience(fakes: Fakes, other: Tenant, holds: bool) -> None:
    with fakes.db.uow() as uow:
        uow.tenants.add(replace(other, audience_id="list1"))
        uow.commit()
    found = sharing.holder(fakes.db.uow, BASE, "list1")
    assert (found is not None) is holds
    assert sharing.holder(fakes.db.uow, BASE, "list2") is None

"""Authorization on fakes (R3): the callback, its one use, and an account switch."""

from __future__ import annotations

import pytest
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import LinkSpent, NotFound
from calendarspots_mailchimp.core.model import ConnectionState, LedgerEntry, Tenant
from calendarspots_mailchimp.core.services.connect import Connected, is_account_switch
from calendarspots_mailchimp.core.services.oauth_state import make_state
from calendarspots_mailchimp.ports.mailchimp import AccountMetadata

META = AccountMetadata("us1", "https://us1.api.mailchimp.com", "Salon Belle")
CONNECTED = Tenant(
    "salon",
    "Salon",
    "UTC",
    api_endpoint="https://us1.api.mailchimp.com",
    account_name="Salon Belle",
    account_id="a1",
)


@pytest.mark.parametrize(
    ("tenant", "meta", "account_id", "switch"),
    [
        (Tenant("salon", "Salon", "UTC"), META, "a1", False),  # never connected
        (CONNECTED, META, "a1", False),  # the same account
        (CONNECTED, AccountMetadata("us1", META.api_endpoint, "Renamed"), "a1", False),
        (CONNECTED, META, "a2", True),  # a look-alike: same name, another id
        (CONNECTED, META, "", False),  # id not told: data center and name match
        (CONNECTED, AccountMetadata("us2", "https://us2.api.mailchimp.com", "X"), "", True),
    ],
)
def test_what_counts_as_an_account_switch(
    tenant: Tenant, meta: AccountMetadata, account_id: str, switch: bool
) -> None:
    assert is_account_switch(tenant, meta, account_id) is switch


def authorize(fakes: Fakes) -> str:
    """The owner went through the start link, approved, and MailChimp redirects back."""
    return make_state("salon", fakes.container.settings().secret_key, fakes.clock.now())


def test_the_callback_stores_the_token_encrypted_and_runs_the_initial_sync(fakes: Fakes) -> None:
    fakes.add_tenant()
    fakes.add_clients(4)
    account = fakes.mailchimp.add_account()
    audience = fakes.mailchimp.add_audience(account)

    result = fakes.container.connect_service().callback(fakes.mailchimp.approve(), authorize(fakes))

    assert result.ok, result.error
    assert result.outcome == Connected.SYNCED and result.sync is not None
    assert result.sync.counts.created == 4
    tenant = fakes.tenant()
    assert (tenant.state, tenant.account_id) == (ConnectionState.CONNECTED, account.account_id_)
    with fakes.db.uow() as uow:
        stored = uow.scope("salon").token.get()
    assert stored is not None and fakes.box.decrypt(stored) in account.tokens
    assert all(token.encode() not in stored for token in account.tokens)
    assert len(audience.members) == 4
    assert fakes.kinds() == [
        "sync.succeeded",
        "webhook.installed",
        "check.passed",
        "authorization.granted",
    ]


def test_a_state_is_good_for_one_callback(fakes: Fakes) -> None:
    fakes.add_tenant()
    fakes.mailchimp.add_audience(fakes.mailchimp.add_account())
    state = authorize(fakes)
    connect = fakes.container.connect_service()
    assert connect.callback(fakes.mailchimp.approve(), state).ok

    replay = connect.callback(fakes.mailchimp.approve(), state)

    assert not replay.ok and replay.outcome == Connected.REPLAYED
    assert fakes.kinds()[0] == "authorization.failed"


def test_moving_to_another_account_forgets_the_old_one(fakes: Fakes) -> None:
    fakes.add_tenant()
    fakes.add_clients(2)
    old = fakes.mailchimp.add_account("Old")
    old_audience = fakes.mailchimp.add_audience(old)
    connect = fakes.container.connect_service()
    assert connect.callback(fakes.mailchimp.approve(), authorize(fakes)).ok
    new = fakes.mailchimp.add_account("New")  # the owner logs into another account
    new_audience = fakes.mailchimp.add_audience(new)

    moved = connect.callback(fakes.mailchimp.approve(), authorize(fakes))

    assert moved.ok, moved.error
    assert fakes.tenant().account_id == new.account_id_
    assert old_audience.webhooks == {}  # the old account no longer calls us
    assert len(new_audience.members) == 2 and len(new_audience.webhooks) == 1


def test_a_start_link_opens_once_and_only_for_its_tenant(fakes: Fakes) -> None:
    fakes.add_tenant()
    fakes.add_tenant("other")
    links = fakes.container.start_links()
    link = links.make("salon")
    token = link.url.split("link_token=")[1]

    with pytest.raises(NotFound):
        links.redeem("other", token)
    assert links.redeem("salon", token).startswith("https://login.mailchimp.test/")
    with pytest.raises(LinkSpent) as used:
        links.redeem("salon", token)
    assert (used.value.code, used.value.facts) == ("link.used", {"link": "start", "minutes": 15})


@pytest.mark.parametrize("kind", ["start", "owner"])
def test_a_link_we_made_is_told_used_or_expired_a_forged_one_is_not_found(
    fakes: Fakes, kind: str
) -> None:
    """Only a link whose signature holds, made for this tenant, is told used or expired;
    anything else is NotFound, as for an unknown tenant. Neither writes anything."""
    fakes.add_tenant()
    fakes.add_tenant("other")
    links, owner = fakes.container.start_links(), fakes.container.owner_access()

    def make() -> str:
        if kind == "start":
            return links.make("salon").url.split("link_token=")[1]
        return owner.link("salon").url.split("owner_token=")[1]

    def spend(tenant: str, token: str) -> object:
        if kind == "start":
            return links.redeem(tenant, token)
        return owner.open_session(tenant, token)

    late = make()
    fakes.clock.advance(minutes=16)
    with pytest.raises(LinkSpent) as expired:
        spend("salon", late)
    assert (expired.value.code, expired.value.link) == ("link.expired", kind)
    assert fakes.db.state.nonces == {}  # nothing written

    token = make()
    body, _, sig = token.partition(".")
    other_kind = (
        owner.link("salon").url.split("owner_token=")[1]
        if kind == "start"
        else links.make("salon").url.split("link_token=")[1]
    )
    for tenant, forged in [
        ("salon", f"{body}.{sig[::-1]}"),
        ("salon", "garbage"),
        ("salon", ""),
        ("salon", other_kind),  # signed, but for the other link
        ("other", token),  # made for another tenant
        ("nobody", token),
    ]:
        with pytest.raises(NotFound):
            spend(tenant, forged)
    assert fakes.db.state.nonces == {}
    spend("salon", token)  # none of those spent it
    with pytest.raises(LinkSpent) as used:
        spend("salon", token)
    assert (used.value.code, used.value.link) == ("link.used", kind)
    assert fakes.kinds() == [] and fakes.kinds("other") == []


def test_the_ledger_of_another_account_is_not_kept(fakes: Fakes) -> None:
    fakes.connected()
    with fakes.db.uow() as uow:
        uow.scope("salon").ledger.upsert_many([LedgerEntry("c9", "x@example.com", "h", None)])
        uow.commit()
    fakes.mailchimp.add_audience(fakes.mailchimp.add_account("Another"))

    assert (
        fakes.container.connect_service().callback(fakes.mailchimp.approve(), authorize(fakes)).ok
    )

    with fakes.db.uow() as uow:
        assert "c9" not in uow.scope("salon").ledger.all_client_ids()

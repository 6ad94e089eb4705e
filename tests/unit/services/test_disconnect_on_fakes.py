"""Disconnecting on fakes: the webhook leaves the audience, the token is forgotten, the
clients stay; authorizing again connects the tenant as before."""

from __future__ import annotations

import pytest
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import NotConnected
from calendarspots_mailchimp.core.model import ConnectionState, SyncKind
from calendarspots_mailchimp.core.services.oauth_state import make_state


def test_disconnect_removes_the_webhook_and_the_token_and_keeps_the_clients(
    fakes: Fakes,
) -> None:
    _, audience = fakes.connected(clients=3)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    assert len(audience.webhooks) == 1

    result = fakes.container.disconnect_service().disconnect("salon")

    assert (result.webhooks_removed, result.error) == (1, "")
    assert audience.webhooks == {} and len(audience.members) == 3
    tenant = fakes.tenant()
    assert tenant.state == ConnectionState.DISCONNECTED and tenant.webhook_id == ""
    with fakes.db.uow() as uow:
        assert uow.scope("salon").token.get() is None
    assert len(list(fakes.directory.clients("salon"))) == 3
    assert fakes.kinds()[0] == "authorization.disconnected"
    with pytest.raises(NotConnected):
        fakes.container.sync_service().sync("salon")
    assert fakes.container.nightly_service().due(fakes.clock.now()) == []


def test_authorizing_again_after_a_disconnect_reconnects(fakes: Fakes) -> None:
    account, audience = fakes.connected(clients=2)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    fakes.container.disconnect_service().disconnect("salon")
    fakes.mailchimp.approving = account.account_id_
    state = make_state("salon", fakes.container.settings().secret_key, fakes.clock.now())

    again = fakes.container.connect_service().callback(fakes.mailchimp.approve(), state)

    assert again.ok, again.error
    assert fakes.tenant().state == ConnectionState.CONNECTED
    assert len(audience.webhooks) == 1
    assert again.sync is not None and again.sync.counts.created == 0  # the same members


def test_a_tenant_that_was_never_connected_cannot_be_disconnected(fakes: Fakes) -> None:
    fakes.add_tenant()
    with pytest.raises(NotConnected, match="not connected"):
        fakes.container.disconnect_service().disconnect("salon")
    assert fakes.tenant().state == ConnectionState.NOT_CONNECTED and fakes.kinds() == []


def test_a_revoked_tenant_can_still_be_disconnected(fakes: Fakes) -> None:
    account, _ = fakes.connected(clients=1)
    fakes.mailchimp.revoke(account)
    assert not fakes.container.sync_service().sync("salon").ok  # learns it was revoked

    result = fakes.container.disconnect_service().disconnect("salon")

    assert result.webhooks_removed == 0
    assert fakes.tenant().state == ConnectionState.DISCONNECTED

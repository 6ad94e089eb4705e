"""csmc_attention_needed on fakes: the host is told once per change of a tenant's attention
state (revoked, audience gone or wrong, sync held, overdue), with a stable code and the fix in
the owner's language; not again while it lasts, not when the tenant is fine again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.errors import coded
from calendarspots_mailchimp.core.model import ConnectionState, SyncKind, Tenant
from calendarspots_mailchimp.core.services.attention import attention_state
from calendarspots_mailchimp.ports.hookspecs import hookimpl


class Host:
    def __init__(self) -> None:
        self.told: list[tuple[str, str, str]] = []

    @hookimpl
    def csmc_attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
        self.told.append((tenant.tenant_id, reason, fix))


@pytest.fixture
def host(fakes: Fakes) -> Host:
    plugin = Host()
    fakes.container.plugin_manager().register(plugin)
    return plugin


def held(fakes: Fakes) -> None:
    """An onboarded tenant whose next sync the guard holds."""
    fakes.connected(clients=100)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:30]:
        rows[client_id] = replace(rows[client_id], first_name="Blank")
    assert not fakes.container.sync_service().sync("salon").ok


def test_a_held_sync_is_told_once_in_the_owners_language(fakes: Fakes, host: Host) -> None:
    held(fakes)
    notices = fakes.container.attention_notices()

    assert notices.check("salon") == "sync_held"
    assert notices.check("salon") is None
    assert notices.sweep() == []

    [(tenant_id, reason, fix)] = host.told
    assert (tenant_id, reason) == ("salon", "sync_held")
    assert "Confirmer et envoyer" in fix  # a French tenant (the default locale)
    assert "cs-mailchimp" not in fix and "sync_held" not in fix


def test_fine_again_is_not_told_and_the_next_problem_is(fakes: Fakes, host: Host) -> None:
    held(fakes)
    notices = fakes.container.attention_notices()
    notices.check("salon")
    assert fakes.container.sync_service().sync("salon", confirm=True).ok

    assert notices.check("salon") is None
    assert fakes.tenant().attention_notified == ""
    rows = fakes.directory.rows["salon"]
    for client_id in list(rows)[:30]:
        rows[client_id] = replace(rows[client_id], first_name="Again")
    assert not fakes.container.sync_service().sync("salon").ok
    assert notices.check("salon") == "sync_held"

    assert [reason for _, reason, _ in host.told] == ["sync_held", "sync_held"]


def test_a_revoked_authorization_is_told_in_english_to_an_english_tenant(
    fakes: Fakes, host: Host
) -> None:
    account, _ = fakes.connected(clients=3)
    with fakes.db.uow() as uow:
        uow.tenants.save(replace(fakes.tenant(), locale="en"))
        uow.commit()
    fakes.mailchimp.revoke(account)
    fakes.container.sync_service().sync("salon")
    assert fakes.tenant().state == ConnectionState.NEEDS_REAUTHORIZATION

    assert fakes.container.attention_notices().sweep() == [("salon", "reauthorize")]
    [(_, reason, fix)] = host.told
    assert reason == "reauthorize" and "click Reconnect" in fix


def test_two_nights_without_a_successful_sync_are_told_by_the_sweep(
    fakes: Fakes, host: Host
) -> None:
    fakes.connected(clients=3)
    assert fakes.container.sync_service().sync("salon", SyncKind.INITIAL).ok
    notices = fakes.container.attention_notices()
    assert notices.sweep() == []

    fakes.clock.advance(days=3)

    assert notices.sweep() == [("salon", "overdue")]
    assert notices.sweep() == []
    assert [reason for _, reason, _ in host.told] == ["overdue"]


def test_the_built_in_implementation_logs_one_line_without_the_fix(
    fakes: Fakes, caplog: pytest.LogCaptureFixture
) -> None:
    held(fakes)

    with caplog.at_level("INFO"):
        fakes.container.attention_notices().check("salon")

    lines = [r.getMessage() for r in caplog.records if "needs attention" in r.getMessage()]
    assert lines == ["tenant salon needs attention: sync_held"]


def test_a_host_that_fails_is_not_told_twice(fakes: Fakes) -> None:
    class Broken:
        calls = 0

        @hookimpl
        def csmc_attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
            Broken.calls += 1
            raise RuntimeError("host down")

    fakes.container.plugin_manager().register(Broken())
    held(fakes)
    notices = fakes.container.attention_notices()

    assert notices.check("salon") == "sync_held"
    assert notices.check("salon") is None
    assert Broken.calls == 1


NOW = datetime(2031, 3, 10, 12, 0, tzinfo=UTC)
BASE = Tenant("t", "T", "UTC", state=ConnectionState.CONNECTED, webhook_id="w")


@pytest.mark.parametrize(
    ("tenant", "state"),
    [
        (replace(BASE, last_sync_local_date=date(2031, 3, 9)), ""),
        (replace(BASE, last_sync_local_date=date(2031, 3, 7)), "overdue"),
        (BASE, ""),  # never synced: its first sync may be running
        (replace(BASE, webhook_id=""), ""),  # the next sync puts the webhook back
        (BASE.with_state(ConnectionState.NEEDS_REAUTHORIZATION, "revoked"), "reauthorize"),
        (BASE.with_state(ConnectionState.NEEDS_ATTENTION, "audience_gone"), "audience_gone"),
        (BASE.with_state(ConnectionState.NEEDS_ATTENTION, "missing FNAME"), "audience"),
        (BASE.with_state(ConnectionState.NEEDS_ATTENTION, "held"), "sync_held"),
        (
            BASE.with_state(
                ConnectionState.NEEDS_ATTENTION, coded("audience.shared", {"other": "x"})
            ),
            "audience_shared",
        ),
        (BASE.with_state(ConnectionState.DISCONNECTED), ""),
    ],
)
def test_the_attention_state(tenant: Tenant, state: str) -> None:
    assert attention_state(tenant, NOW, 5) == state

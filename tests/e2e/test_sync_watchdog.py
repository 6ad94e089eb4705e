"""Every sync starts with the audience contract and the webhook watchdog (R1, R2, R3, R5, R6)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.model import ConnectionState
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret
from calendarspots_mailchimp.core.services.webhooks.intake import TENANT_TTL_SECONDS

RETIRED_WITHIN = TENANT_TTL_SECONDS + 5

TENANT = "salon"


def connected(world: World) -> MailChimpSide:
    world.add_tenant(TENANT)
    world.import_rows(TENANT, sample_rows(5))
    side = world.mailchimp()
    result = world.authorize(TENANT)
    assert result["ok"], result
    return side


def sync(world: World, exit_code: int = 0) -> dict[str, Any]:
    return world.sync_json(TENANT, exit_code=exit_code)


def assert_one_correct_webhook(world: World, side: MailChimpSide) -> None:
    hooks = world.sim.webhooks(side.list_id)
    assert len(hooks) == 1, hooks
    hook = hooks[0]
    tenant = world.tenant(TENANT)
    assert hook["id"] == tenant.webhook_id
    secret = webhook_secret(world.settings.secret_key, tenant)
    assert len(secret) == 43  # 256 bits, URL-safe base64
    assert hook["url"] == f"{world.app_url}/webhooks/mailchimp/{TENANT}/{secret}"
    assert {k for k, v in hook["events"].items() if v} == {
        "subscribe",
        "unsubscribe",
        "profile",
        "cleaned",
        "upemail",
    }
    assert {k for k, v in hook["sources"].items() if v} == {"user", "admin"}


def repaired_what(world: World) -> list[str]:
    entries = world.entries(TENANT, "webhook.repaired")
    assert len(entries) == 1
    what: list[str] = entries[0].details["what"]
    return what


def test_a_deleted_webhook_is_put_back(world: World) -> None:
    side = connected(world)
    world.sim.delete_webhook(side.list_id, world.sim.webhooks(side.list_id)[0]["id"])
    sync(world)
    assert_one_correct_webhook(world, side)
    assert repaired_what(world) == ["missing"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"url": "https://elsewhere.example/hook"}, "URL changed"),
        ({"events": {"unsubscribe": False, "campaign": True}}, "events changed"),
        ({"sources": {"api": True}}, "sources changed"),
    ],
)
def test_an_edited_webhook_is_put_back(world: World, edit: dict[str, Any], expected: str) -> None:
    side = connected(world)
    world.sim.edit_webhook(side.list_id, world.sim.webhooks(side.list_id)[0]["id"], **edit)
    sync(world)
    assert_one_correct_webhook(world, side)
    assert repaired_what(world) == [expected]


def test_a_duplicated_webhook_is_removed(world: World) -> None:
    side = connected(world)
    url = world.sim.webhooks(side.list_id)[0]["url"]
    token = world.sim.issue_token(side.account_id)
    # The owner adds a second webhook to the plugin's address (MailChimp refuses the exact
    # same URL twice, so a variant of it).
    answer = httpx.post(
        f"{world.sim_url}/3.0/lists/{side.list_id}/webhooks",
        headers={"Authorization": f"Bearer {token}"},
        json={"url": url + "?copy=1", "events": {"unsubscribe": True}},
    )
    assert answer.status_code == 200, answer.text
    assert len(world.sim.webhooks(side.list_id)) == 2
    sync(world)
    assert_one_correct_webhook(world, side)
    assert repaired_what(world) == ["duplicate removed"]
    sync(world)
    assert len(world.entries(TENANT, "webhook.repaired")) == 1  # nothing more to repair


@pytest.mark.parametrize("change", ["deleted", "renamed"])
def test_an_audience_deleted_or_renamed_fails_the_sync_and_flags_the_tenant(
    world: World, change: str
) -> None:
    side = connected(world)
    if change == "deleted":
        world.sim.delete_list(side.list_id)
    else:
        world.sim.rename_list(side.list_id, "newsletter")
    world.sim.stats.reset()
    report = sync(world, exit_code=6)
    assert report["status"] == "failed"
    assert report["failure"] == "contract"
    assert "'calendarspots'" in report["message"]
    assert change in report["message"]
    assert ("create it again" if change == "deleted" else "Rename it back") in report["message"]
    assert world.tenant(TENANT).state == ConnectionState.NEEDS_ATTENTION
    kinds = world.kinds(TENANT)
    assert kinds[0] == "sync.failed"
    assert "check.failed" in kinds[:2]
    assert world.sim.stats.member_writes == 0


def test_a_revoked_token_asks_for_reauthorization_and_stops_the_nightly(world: World) -> None:
    side = connected(world)
    world.sim.revoke_tokens(side.account_id)
    report = sync(world, exit_code=5)
    assert report["status"] == "failed"
    assert report["failure"] == "revoked"
    tenant = world.tenant(TENANT)
    assert tenant.state == ConnectionState.NEEDS_REAUTHORIZATION
    assert "authorization.revoked" in world.kinds(TENANT)[:2]

    world.sim.stats.reset()
    again = world.cli("sync", TENANT)
    assert again.exit_code == 5, again.output
    # 04:55 in Montreal: inside the night window whatever the tenant's start offset.
    night = world.cli("nightly", "--now", "2031-03-04T09:55:00+00:00", "--json")
    assert night.exit_code == 0, night.output
    assert json.loads(night.stdout)["synced"] == []
    assert world.sim.stats.total_api_requests == 0

    # Reconnected: syncs again.
    world.sim.approve_as(side.account_id)
    assert world.authorize(TENANT)["ok"]
    assert world.tenant(TENANT).state == ConnectionState.CONNECTED


def test_an_edited_webhook_keeps_working_when_mailchimp_refuses_its_replacement(
    world: World,
) -> None:
    from calendarspots_mailchimp.simulator import Fault

    side = connected(world)
    hook = world.sim.webhooks(side.list_id)[0]
    edited_url = hook["url"] + "-edited"
    world.sim.edit_webhook(side.list_id, hook["id"], url=edited_url)
    world.sim.inject_fault(
        Fault(
            status=503, count=50, method="POST", path_prefix=f"/3.0/lists/{side.list_id}/webhooks"
        )
    )

    report = sync(world)

    assert report["status"] == "partial"
    hooks = world.sim.webhooks(side.list_id)
    assert [h["url"] for h in hooks] == [edited_url]  # not deleted before a replacement existed
    assert "webhook.failed" in world.kinds(TENANT)[:3]
    world.sim.clear_faults()
    sync(world)
    assert_one_correct_webhook(world, side)


def test_an_edited_webhook_mailchimp_will_not_patch_is_recreated(world: World) -> None:
    from calendarspots_mailchimp.simulator import Fault

    side = connected(world)
    hook = world.sim.webhooks(side.list_id)[0]
    world.sim.edit_webhook(side.list_id, hook["id"], sources={**hook["sources"], "api": True})
    world.sim.inject_fault(
        Fault(
            status=503, count=50, method="PATCH", path_prefix=f"/3.0/lists/{side.list_id}/webhooks"
        )
    )

    report = sync(world)

    assert report["status"] == "succeeded"
    assert_one_correct_webhook(world, side)
    assert world.sim.webhooks(side.list_id)[0]["id"] != hook["id"]


def with_a_0001_secret(world: World, side: MailChimpSide) -> str:
    """The tenant as schema 0001 left it: the secret itself stored, in MailChimp's URL."""
    hook = world.sim.webhooks(side.list_id)[0]
    legacy_url = f"{world.app_url}/webhooks/mailchimp/{TENANT}/stored-by-0001"
    world.sim.edit_webhook(side.list_id, hook["id"], url=legacy_url)
    with world.uow() as uow:
        tenant = uow.tenants.get(TENANT)
        assert tenant is not None
        uow.tenants.save(replace(tenant, webhook_salt="plain:stored-by-0001"))
        uow.commit()
    return legacy_url


@pytest.mark.R5
def test_a_secret_stored_by_schema_0001_keeps_working_until_the_sync_moves_it_out(
    world: World,
) -> None:
    """Schema 0002 keeps a stored secret as a legacy salt; the next sync derives a new one."""
    side = connected(world)
    legacy_url = with_a_0001_secret(world, side)
    assert httpx.get(legacy_url).status_code == 200  # still accepted meanwhile

    sync(world)

    assert_one_correct_webhook(world, side)
    assert not world.tenant(TENANT).webhook_salt.startswith("plain:")
    # A web process trusts a tenant it read for TENANT_TTL_SECONDS (the webhook intake's
    # cache): the retired address is refused within that time.
    assert eventually(lambda: httpx.get(legacy_url).status_code == 404, RETIRED_WITHIN)
    repaired = world.entries(TENANT, "webhook.repaired")
    assert len(repaired) == 1
    assert "new address" in repaired[0].message
    assert "no longer stored" in repaired[0].message
    sync(world)
    assert len(world.entries(TENANT, "webhook.repaired")) == 1


def test_a_0001_secret_stays_valid_while_mailchimp_refuses_the_new_address(world: World) -> None:
    from calendarspots_mailchimp.simulator import Fault

    side = connected(world)
    legacy_url = with_a_0001_secret(world, side)
    world.sim.inject_fault(
        Fault(
            status=503, count=50, method="POST", path_prefix=f"/3.0/lists/{side.list_id}/webhooks"
        )
    )

    report = sync(world)

    assert report["status"] == "partial"
    assert [h["url"] for h in world.sim.webhooks(side.list_id)] == [legacy_url]
    assert world.tenant(TENANT).webhook_salt_previous == "plain:stored-by-0001"
    assert httpx.get(legacy_url).status_code == 200  # MailChimp's only URL still works
    world.sim.clear_faults()
    sync(world)
    assert_one_correct_webhook(world, side)
    assert world.tenant(TENANT).webhook_salt_previous == ""
    # A web process trusts a tenant it read for TENANT_TTL_SECONDS (the webhook intake's
    # cache): the retired address is refused within that time.
    assert eventually(lambda: httpx.get(legacy_url).status_code == 404, RETIRED_WITHIN)
    (moved,) = world.entries(TENANT, "webhook.repaired")
    assert "new address" in moved.message


def test_during_a_move_both_addresses_are_accepted_and_no_other(world: World) -> None:
    """A sync stopped between storing the new salt and MailChimp taking the new URL leaves
    both addresses working, so no delivery is refused meanwhile."""
    connected(world)
    with world.uow() as uow:
        tenant = uow.tenants.get(TENANT)
        assert tenant is not None
        moving = replace(tenant, webhook_salt="new-salt", webhook_salt_previous="plain:old-secret")
        uow.tenants.save(moving)
        uow.commit()
    base = f"{world.app_url}/webhooks/mailchimp/{TENANT}"
    new = webhook_secret(world.settings.secret_key, moving)
    assert httpx.get(f"{base}/old-secret").status_code == 200
    assert httpx.get(f"{base}/{new}").status_code == 200
    wrong = new[:-1] + ("A" if new[-1] != "A" else "B")
    assert httpx.get(f"{base}/{wrong}").status_code == 404
    assert httpx.get(f"{base}/plain:old-secret").status_code == 404

"""R1 over real HTTP and the simulator (found by a black-box probe): two businesses that
authorize the same MailChimp account find its one `calendarspots` audience; only the first
syncs into it, so an unsubscribe there reaches the first one's client database and never the
second's, even for a client both have. The second one needs attention, in the operator's
and the owner's words, until it has an audience of its own."""

from __future__ import annotations

import httpx
import pytest
from support.harness import World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.model import ConnectionState

pytestmark = [pytest.mark.R1]

JSON = {"Accept": "application/json"}


def status_of(world: World, tenant: str, email: str) -> str:
    return str(world.clients(tenant)[email].newsletter)


def test_the_second_business_on_one_account_is_not_synced_and_gets_no_unsubscribe(
    world: World,
) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))  # client0..client2
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.add_tenant("barbier")
    world.import_rows("barbier", sample_rows(3, start=1))  # client1..client3: two in common

    second = world.authorize("barbier")  # the same account approves again

    assert second["ok"] is False and "another business already uses" in second["message"]
    assert "salon" not in second["message"]  # the owner's words never name the other business
    assert world.tenant("barbier").state == ConnectionState.NEEDS_ATTENTION
    assert sorted(world.members(side.list_id)) == [f"client{i}@example.com" for i in range(3)]
    assert [h["url"].split("/")[5] for h in world.sim.webhooks(side.list_id)] == ["salon"]

    # An unsubscribe in that audience is the first business's only.
    world.sim.unsubscribe(side.list_id, "client1@example.com", reason="manual")
    assert eventually(lambda: status_of(world, "salon", "client1@example.com") == "unsubscribed")
    assert status_of(world, "barbier", "client1@example.com") == "subscribed"
    assert "contact.unsubscribed" not in world.kinds("barbier")

    # The operator: why and both fixes; `check` and `sync` refuse, nothing is sent.
    status = world.cli("--lang", "fr", "status", "barbier")
    assert status.exit_code == 0, status.output
    text = status.stdout.replace("\u00a0", " ")
    assert "audience_shared" in text and "déjà utilisée par l'entreprise « salon »" in text
    assert "`cs-mailchimp connect barbier`" in text and "`cs-mailchimp disconnect salon`" in text
    check = world.cli("check", "barbier")
    assert check.exit_code == 6 and "already used by tenant 'salon'" in check.output
    assert world.cli("sync", "barbier").exit_code == 6  # the audience contract (R1)
    assert len(world.members(side.list_id)) == 3

    # The owner's page as JSON (a host's): the problem's code; no audience is the tenant's.
    admin = {"Authorization": f"Bearer {world.settings.admin_token}", **JSON}
    page = httpx.get(f"{world.app_url}/tenants/barbier/newsletters", headers=admin)
    assert page.status_code == 200, page.text
    assert [p["code"] for p in page.json()["problems"]] == ["audience_shared"]
    assert page.json()["audience"]["id"] == ""

    # The first business keeps syncing.
    world.import_rows("salon", sample_rows(4))
    assert world.cli("sync", "salon").exit_code == 0
    assert "client3@example.com" in world.members(side.list_id)
    assert world.tenant("salon").state == ConnectionState.CONNECTED

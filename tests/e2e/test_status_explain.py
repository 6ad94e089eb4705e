"""`status` and `clients explain` through the CLI, on the real adapters, the bundled MailChimp
simulator over HTTP and the plugin's served webhook."""

from __future__ import annotations

import json
from typing import Any

from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually
from typer.testing import Result


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def not_found(result: Result, words: str) -> None:
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert words in result.stderr


def connected(world: World, rows: int = 4) -> MailChimpSide:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(rows))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    return side


def test_status_reports_the_fleet_and_exits_0_even_when_a_tenant_needs_attention(
    world: World,
) -> None:
    side = connected(world)
    world.add_tenant("spa", timezone="Asia/Tokyo")

    fleet = ok_json(world.cli("status", "--json"))
    assert fleet["count"] == 2
    assert fleet["by_state"]["connected"] == 1 and fleet["by_state"]["not_connected"] == 1
    assert (fleet["overdue"], fleet["attention"]) == ([], [])
    assert {t["tenant"]: t["state"] for t in fleet["tenants"]} == {
        "salon": "connected",
        "spa": "not_connected",
    }

    world.sim.revoke_tokens(side.account_id)
    assert world.cli("sync", "salon").exit_code == 5  # learns it was revoked
    text = world.cli("status")
    assert text.exit_code == 0 and text.stderr == ""
    assert "1 needs_reauthorization" in text.stdout
    assert "Needs attention: 1 tenant" in text.stdout
    assert "fix: The owner must authorize again" in text.stdout
    assert "`cs-mailchimp connect salon`" in text.stdout
    one = ok_json(world.cli("status", "salon", "--json"))
    assert [t["tenant"] for t in one["tenants"]] == ["salon"]
    assert [(a["code"], a["reason"]) for a in one["attention"]] == [("reauthorize", "revoked")]
    assert world.cli("status", "salon").stdout.startswith("Tenant salon (Salon salon, ")
    not_found(world.cli("status", "nobody"), "no tenant 'nobody'")


def test_explain_tells_a_clients_story_with_one_mailchimp_read(world: World) -> None:
    side = connected(world)
    world.sim.stats.reset()

    synced = ok_json(world.cli("clients", "explain", "salon", "CLIENT1@Example.com", "--json"))

    assert world.sim.stats.total_api_requests == 1
    assert world.sim.stats.count("GET", "/3.0/lists/{list_id}/members/{subscriber_hash}") == 1
    assert synced["client"]["client_id"] == "c000001"
    assert synced["ledger"]["up_to_date"] is True
    assert synced["mailchimp"]["member"]["status"] == "subscribed"
    assert synced["why"]["code"] == "in_audience" and synced["next_sync"]["action"] == "unchanged"
    assert synced["fix"] == "Nothing to do."

    world.sim.unsubscribe(side.list_id, "client2@example.com")
    assert eventually(
        lambda: str(world.clients()["client2@example.com"].newsletter) != "subscribed"
    )
    text = world.cli("clients", "explain", "salon", "c000002")
    assert text.exit_code == 0, text.output
    assert "  MailChimp: unsubscribed" in text.stdout
    assert "contact.unsubscribed" in text.stdout
    assert "why:       They unsubscribed in MailChimp." in text.stdout
    assert "newsletter unsubscribed" in text.stdout

    not_found(world.cli("clients", "explain", "salon", "nobody@example.com"), "nobody@example.com")
    not_found(world.cli("clients", "explain", "nobody", "c000001"), "no tenant 'nobody'")


def test_explain_for_a_tenant_not_connected_does_not_ask_mailchimp(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(2))
    world.sim.stats.reset()

    story = ok_json(world.cli("clients", "explain", "salon", "client0@example.com", "--json"))

    assert world.sim.stats.total_api_requests == 0
    assert story["mailchimp"]["read"] is False and story["mailchimp"]["skipped"] == "not_connected"
    assert story["why"]["code"] == "not_connected"
    assert "cs-mailchimp connect salon" in story["fix"]

"""Prometheus metrics, scraped from the running app as Prometheus would."""

from __future__ import annotations

import httpx
from support.harness import World, sample_rows
from support.waiting import eventually


def scrape(world: World, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{world.app_url}/metrics", headers=headers)


def test_metrics_are_behind_the_admin_token(world: World) -> None:
    assert scrape(world).status_code == 401
    assert scrape(world, "wrong").status_code == 401
    assert scrape(world, world.settings.admin_token).status_code == 200


def test_the_fleet_and_the_webhook_deliveries_are_counted(world: World) -> None:
    world.add_tenant("salon")
    world.add_tenant("spa")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.sim.unsubscribe(side.list_id, "client1@example.com")
    assert eventually(lambda: "contact.unsubscribed" in world.kinds("salon"))

    text = scrape(world, world.settings.admin_token).text

    assert text.startswith("# HELP")
    assert 'csmc_tenants{state="connected"} 1.0' in text
    assert 'csmc_tenants{state="not_connected"} 1.0' in text
    assert "csmc_tenants_overdue" in text
    assert 'csmc_last_night_syncs{outcome="not_run"}' in text
    # Counted when answered: stored (one durable write), applied off the request path.
    assert 'csmc_webhook_events_total{outcome="stored"} 1.0' in text

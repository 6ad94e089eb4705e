"""A host platform plugs in through pluggy: its own client database, its auth for the admin
routes, and every new activity entry handed to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from support.databases import fresh_database
from support.harness import World, make_world
from support.waiting import eventually

from calendarspots_mailchimp.core.model import ActivityEntry, Client, NewsletterStatus, Tenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.hookspecs import hookimpl


class PlatformClients:
    """The platform's own client database (in memory here)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[str, dict[str, Client]] = {
            "salon": {
                f"c{i}": Client(f"c{i}", f"guest{i}@example.com", f"Guest{i}", "Host")
                for i in range(4)
            }
        }

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        with self.lock:
            yield from list(self.rows.get(tenant_id, {}).values())

    def _mark(self, tenant_id: str, email: str, status: NewsletterStatus) -> Client | None:
        with self.lock:
            for cid, client in self.rows.get(tenant_id, {}).items():
                if client.email.lower() == email.lower():
                    self.rows[tenant_id][cid] = replace(client, newsletter=status)
                    return self.rows[tenant_id][cid]
        return None

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self._mark(tenant_id, email, NewsletterStatus.UNSUBSCRIBED)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self._mark(tenant_id, email, NewsletterStatus.CLEANED)


class HostPlugin:
    SESSION = "session-of-the-salon-owner"

    def __init__(self) -> None:
        self.directory = PlatformClients()
        self.seen: list[ActivityEntry] = []
        self.asked: list[tuple[str, str, str]] = []
        self.attention: list[tuple[str, str, str]] = []

    @hookimpl
    def csmc_client_directory(self, settings: Settings) -> PlatformClients:
        return self.directory

    @hookimpl
    def csmc_authorize_request(
        self, tenant_id: str, method: str, path: str, headers: Mapping[str, str]
    ) -> bool | None:
        self.asked.append((tenant_id, method, path))
        if "cookie" not in headers:
            return None  # no opinion: the admin token still works
        return headers["cookie"] == f"session={self.SESSION}" and tenant_id == "salon"

    @hookimpl
    def csmc_activity_recorded(self, entry: ActivityEntry) -> None:
        self.seen.append(entry)

    @hookimpl
    def csmc_attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
        self.attention.append((tenant.tenant_id, reason, fix))


@pytest.fixture
def hosted(tmp_path: Path) -> Iterator[tuple[World, HostPlugin]]:
    plugin = HostPlugin()
    with fresh_database(tmp_path) as url:
        world = make_world(url, extra_plugins=[plugin], max_retries=2)
        try:
            yield world, plugin
        finally:
            world.close()


def test_host_directory_auth_and_activity_hooks(hosted: tuple[World, HostPlugin]) -> None:
    world, plugin = hosted
    world.add_tenant("salon")
    world.add_tenant("rival")
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    members = world.members(side.list_id)
    assert set(members) == {f"guest{i}@example.com" for i in range(4)}  # the host's clients

    world.sim.unsubscribe(side.list_id, "guest2@example.com")
    world.sim.update_profile(side.list_id, "guest3@example.com", merges={"FNAME": "Changed"})
    assert eventually(
        lambda: plugin.directory.rows["salon"]["c2"].newsletter == NewsletterStatus.UNSUBSCRIBED
    )
    assert eventually(lambda: "mailchimp.profile.recorded" in {str(e.kind) for e in plugin.seen})
    assert plugin.directory.rows["salon"]["c3"].first_name == "Guest3"  # R8: not copied

    stored = world.entries("salon")
    assert {e.entry_id for e in plugin.seen if e.tenant_id == "salon"} == {
        e.entry_id for e in stored
    }
    assert all(e.entry_id is not None for e in plugin.seen)

    activity = f"{world.app_url}/tenants/salon/activity"
    owner = {"Cookie": f"session={HostPlugin.SESSION}"}
    assert httpx.get(activity, headers=owner).status_code == 200
    assert httpx.get(activity, headers={"Cookie": "session=stolen"}).status_code == 401
    # the host's "no" wins even over a valid admin token
    both = {"Cookie": "session=stolen", "Authorization": f"Bearer {world.settings.admin_token}"}
    assert httpx.get(activity, headers=both).status_code == 401
    rival = f"{world.app_url}/tenants/rival/activity"
    assert httpx.get(rival, headers=owner).status_code == 401
    token = {"Authorization": f"Bearer {world.settings.admin_token}"}
    assert httpx.get(activity, headers=token).status_code == 200  # host had no opinion
    assert ("salon", "GET", "/tenants/salon/activity") in plugin.asked
    start = f"{world.app_url}/oauth/mailchimp/start"
    refused = httpx.get(start, params={"tenant": "rival"}, headers=owner)
    assert refused.status_code == 404  # the host said no: the same answer as for nobody
    allowed = httpx.get(start, params={"tenant": "salon"}, headers=owner)
    assert allowed.status_code == 302


def test_the_host_is_told_once_when_the_owner_must_act(hosted: tuple[World, HostPlugin]) -> None:
    world, plugin = hosted
    world.add_tenant("salon")
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    assert world.cli("nightly").exit_code == 0
    assert plugin.attention == []

    world.sim.revoke_tokens(side.account_id)
    assert world.cli("sync", "salon").exit_code == 5
    assert world.cli("nightly").exit_code == 0  # still revoked: not told again
    assert world.cli("sync", "salon").exit_code == 5

    [(tenant_id, reason, fix)] = plugin.attention
    assert (tenant_id, reason) == ("salon", "reauthorize")
    assert "Reconnecter" in fix and "cs-mailchimp" not in fix  # the owner's words, in French
    assert world.tenant().attention_notified == "reauthorize"

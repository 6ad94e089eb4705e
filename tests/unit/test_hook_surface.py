"""The hook surface, guarded as datasette guards its own: every `csmc_*` hook is documented in
the README and exercised here by a host plugin whose answers the plugin then uses."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from fakes import FakeClientDirectory, FakeDatabase, FakeMailChimp, FakeSecretBox

from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    Birthday,
    Client,
    ConnectionState,
    SyncKind,
    Tenant,
)
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.ports import hookspecs
from calendarspots_mailchimp.ports.hookspecs import hookimpl

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs) if name.startswith("csmc_"))


class HostPlatform:
    """A host that answers every hook."""

    def __init__(self) -> None:
        self.database: FakeDatabase | None = None
        self.directory = FakeClientDirectory()
        self.mailchimp = FakeMailChimp()
        self.box = FakeSecretBox("host-key")
        self.seen: list[ActivityEntry] = []
        self.asked: list[tuple[str, str]] = []
        self.attention: list[tuple[str, str, str]] = []

    @hookimpl
    def csmc_unit_of_work_factory(
        self, settings: Settings, published: Callable[[ActivityEntry], None]
    ) -> Callable[[], object]:
        self.database = FakeDatabase(published)
        return self.database.uow

    @hookimpl
    def csmc_client_store(self, settings: Settings) -> FakeClientDirectory:
        return self.directory

    @hookimpl
    def csmc_client_directory(self, settings: Settings) -> FakeClientDirectory:
        return self.directory

    @hookimpl
    def csmc_mailchimp_connector(self, settings: Settings) -> FakeMailChimp:
        return self.mailchimp

    @hookimpl
    def csmc_secret_box(self, settings: Settings) -> FakeSecretBox:
        return self.box

    @hookimpl
    def csmc_authorize_request(
        self, tenant_id: str, method: str, path: str, headers: Mapping[str, str]
    ) -> bool | None:
        self.asked.append((tenant_id, path))
        return headers.get("cookie") == "session=owner-of-salon" and tenant_id == "salon"

    @hookimpl
    def csmc_activity_recorded(self, entry: ActivityEntry) -> None:
        self.seen.append(entry)

    @hookimpl
    def csmc_attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
        self.attention.append((tenant.tenant_id, reason, fix))


def test_every_hook_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"csmc_[a-z_]+", readme))
    assert len(HOOKS) == 8
    assert [h for h in HOOKS if h not in documented] == []


def test_every_hook_is_answered_by_the_host_and_its_answer_is_used() -> None:
    assert sorted(n for n in vars(HostPlatform) if n.startswith("csmc_")) == HOOKS
    host = HostPlatform()
    container = build_container(
        Settings(database_url="sqlite:///not-used.db", secret_key="k" * 32, client_id="id"),
        extra_plugins=[host],
    )
    container.tenants().add(AddTenant("salon", "Salon", "America/Montreal"))
    host.directory.upsert("salon", [Client("c1", "ann@example.com", "Ann", "Lee", Birthday(2, 29))])
    account = host.mailchimp.add_account()
    audience = host.mailchimp.add_audience(account)
    state = container.start_links().authorize_url("salon").split("state=")[1]

    result = container.connect_service().callback(host.mailchimp.approve(), state)

    assert result.ok, result.message
    assert host.database is not None and "salon" in host.database.state.tenants
    assert host.box.decrypt(host.database.state.tokens["salon"]) in account.tokens
    assert audience.members["ann@example.com"].merge_fields["BIRTHDAY"] == "02/29"
    assert [str(e.kind) for e in host.seen] == [
        "authorization.granted",
        "check.passed",
        "webhook.installed",
        "sync.succeeded",
    ]
    hooks = container.hooks()
    owner = {"cookie": "session=owner-of-salon"}
    assert hooks.authorize_request("salon", "GET", "/tenants/salon/activity", owner) is True
    assert hooks.authorize_request("rival", "GET", "/tenants/rival/activity", owner) is False
    assert host.asked[-1] == ("rival", "/tenants/rival/activity")
    assert container.sync_service().sync("salon", SyncKind.MANUAL).ok
    # The host hears once that the owner must act, with the fix in the owner's (French) words.
    host.mailchimp.revoke(account)
    assert not container.sync_service().sync("salon", SyncKind.MANUAL).ok
    assert container.tenants().get("salon").state == ConnectionState.NEEDS_REAUTHORIZATION
    assert container.attention_notices().sweep() == [("salon", "reauthorize")]
    assert container.attention_notices().sweep() == []
    [(tenant_id, reason, fix)] = host.attention
    assert (tenant_id, reason) == ("salon", "reauthorize") and "Reconnecter" in fix

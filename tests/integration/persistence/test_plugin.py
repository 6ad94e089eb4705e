"""The pluggy plugin answers last, from one cached, migrated Database per URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import cast

import pytest

from calendarspots_mailchimp.adapters.persistence import plugin
from calendarspots_mailchimp.core.model import Client, Tenant
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.plugins import Hooks, make_plugin_manager

HEAD = "0006"  # the newest migration


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    yield Hooks(make_plugin_manager([plugin], load_entry_points=False))
    plugin.dispose_all()


def test_hooks_share_one_database_built_by_migrations(hooks: Hooks, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'plugin.db'}")
    uow_factory = hooks.unit_of_work_factory(settings, hooks.activity_recorded)
    with uow_factory() as uow:
        uow.tenants.add(Tenant("acme", "Acme", "America/Montreal"))
        uow.scope("acme").activity.count()
        uow.commit()
    store = hooks.client_store(settings)
    directory = hooks.client_directory(settings)
    assert cast(object, store) is directory
    assert store.upsert("acme", [Client("c1", "a@x.com")]) == (1, 0)
    assert [c.client_id for c in directory.clients("acme")] == ["c1"]
    assert plugin.database_for(settings.database_url).current_revision() == HEAD


def test_a_host_plugin_registered_later_wins(tmp_path: Path) -> None:
    class HostDirectory:
        def clients(
            self, tenant_id: str, changed_since: datetime | None = None
        ) -> Iterator[Client]:
            yield Client("host", "host@x.com")

        def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
            return None

        def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
            return None

    class Host:
        @staticmethod
        def csmc_client_directory(settings: Settings) -> HostDirectory:
            return HostDirectory()

    from calendarspots_mailchimp.ports.hookspecs import hookimpl

    Host.csmc_client_directory = hookimpl(Host.csmc_client_directory)  # type: ignore[method-assign]
    hooks = Hooks(make_plugin_manager([plugin, Host()], load_entry_points=False))
    try:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'host.db'}")
        directory = hooks.client_directory(settings)
        assert [c.client_id for c in directory.clients("acme")] == ["host"]
        # What the host did not override still comes from the built-in persistence.
        with hooks.unit_of_work_factory(settings, hooks.activity_recorded)() as uow:
            assert uow.tenants.list() == []
    finally:
        plugin.dispose_all()

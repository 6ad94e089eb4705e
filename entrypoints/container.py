"""The composition root: the one place that names concrete things.

pluggy decides *which* implementation answers each port (built-ins or a host's plugins);
this container decides lifetime, configuration and test overrides
(`with container.clock.override(FixedClock(...)):`).
"""

from __future__ import annotations

from collections.abc import Iterable

from dependency_injector import containers, providers

from calendarspots_mailchimp.core.services.connect import CheckService, ConnectService
from calendarspots_mailchimp.core.services.deps import Deps
from calendarspots_mailchimp.core.services.inbound import InboundService
from calendarspots_mailchimp.core.services.nightly import NightlyService
from calendarspots_mailchimp.core.services.sync import SyncService
from calendarspots_mailchimp.core.settings import Settings, load_settings
from calendarspots_mailchimp.ports.clock import Clock, SystemClock
from calendarspots_mailchimp.ports.plugins import Hooks, make_plugin_manager


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    extra_plugins = providers.Object(())
    plugin_manager = providers.Singleton(make_plugin_manager, extra_plugins)
    hooks = providers.Singleton(Hooks, plugin_manager)
    clock = providers.Singleton(SystemClock)
    real_clock: providers.Provider[Clock | None] = providers.Object(None)

    uow_factory = providers.Singleton(
        lambda hooks, settings: hooks.unit_of_work_factory(settings), hooks, settings
    )
    client_store = providers.Singleton(
        lambda hooks, settings: hooks.client_store(settings), hooks, settings
    )
    directory = providers.Singleton(
        lambda hooks, settings: hooks.client_directory(settings), hooks, settings
    )
    mailchimp = providers.Singleton(
        lambda hooks, settings: hooks.mailchimp_connector(settings), hooks, settings
    )
    secret_box = providers.Singleton(
        lambda hooks, settings: hooks.secret_box(settings), hooks, settings
    )

    deps = providers.Singleton(
        Deps,
        settings=settings,
        uow=uow_factory,
        directory=directory,
        mailchimp=mailchimp,
        box=secret_box.provider,
        clock=clock,
        real_clock=real_clock,
        notify=hooks.provided.activity_recorded,
        client_store=client_store,
    )

    sync_service = providers.Factory(SyncService, deps)
    connect_service = providers.Factory(ConnectService, deps)
    check_service = providers.Factory(CheckService, deps)
    inbound_service = providers.Factory(InboundService, deps)
    nightly_service = providers.Factory(NightlyService, deps)


def build_container(
    settings: Settings | None = None, extra_plugins: Iterable[object] = ()
) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    plugins = tuple(extra_plugins)
    if plugins:
        container.extra_plugins.override(providers.Object(plugins))
    return container

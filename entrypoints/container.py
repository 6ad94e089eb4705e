"""The composition root: the one place that names concrete things and wires each use case
with exactly its collaborators.

pluggy decides *which* implementation answers each port (built-ins or a host's plugins);
this container decides lifetime, configuration and test overrides: a test overrides one
collaborator (`with container.clock.override(FixedClock(...)):`) and every use case built
after that sees it, since use cases are factories. The process's runtime — the CLI's, the
HTTP app's and a worker's — is one container, built on first use (`runtime()`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

from dependency_injector import containers, providers

from calendarspots_mailchimp.adapters.metrics import prometheus
from calendarspots_mailchimp.core.activity import ActivityEntry
from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.core.services.attention import AttentionNotices, Notify
from calendarspots_mailchimp.core.services.check import CheckService
from calendarspots_mailchimp.core.services.clients import Clients
from calendarspots_mailchimp.core.services.connect import ConnectService
from calendarspots_mailchimp.core.services.disconnect import DisconnectService
from calendarspots_mailchimp.core.services.explain import ExplainClient
from calendarspots_mailchimp.core.services.fleet import Attention, FleetStatus
from calendarspots_mailchimp.core.services.links import StartLinks
from calendarspots_mailchimp.core.services.newsletters import OwnerPage
from calendarspots_mailchimp.core.services.nightly import NightlyService
from calendarspots_mailchimp.core.services.owner import OwnerAccess
from calendarspots_mailchimp.core.services.owner_activity import OwnerActivity
from calendarspots_mailchimp.core.services.sync import SyncService
from calendarspots_mailchimp.core.services.sync.guard import Guard
from calendarspots_mailchimp.core.services.sync.watchdog import WebhookSite
from calendarspots_mailchimp.core.services.tenancy import Accounts
from calendarspots_mailchimp.core.services.tenants import Tenants
from calendarspots_mailchimp.core.services.webhooks.applier import InboxApplier
from calendarspots_mailchimp.core.services.webhooks.intake import InboxWriter, TenantCache
from calendarspots_mailchimp.core.services.webhooks.service import InboundService
from calendarspots_mailchimp.core.settings import Settings, load_settings
from calendarspots_mailchimp.entrypoints.messages import owner_fix, worded
from calendarspots_mailchimp.ports.clock import SystemClock
from calendarspots_mailchimp.ports.mailchimp import MailChimpConnector
from calendarspots_mailchimp.ports.plugins import Hooks, make_plugin_manager
from calendarspots_mailchimp.ports.telemetry import Telemetry


def _seconds(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def worded_for(hooks: Hooks) -> Callable[[ActivityEntry], None]:
    def publish(entry: ActivityEntry) -> None:
        hooks.activity_recorded(worded(entry))

    return publish


def attention_for(hooks: Hooks) -> Notify:
    """The host hears of a tenant's new attention state with the fix in the owner's words."""

    def notify(tenant: Tenant, code: Attention) -> None:
        fix = owner_fix(str(code), tenant.locale, tenant.list_name)
        hooks.attention_needed(tenant, str(code), fix)

    return notify


def observed_connector(
    hooks: Hooks, settings: Settings, telemetry: Telemetry
) -> MailChimpConnector:
    """The MailChimp gateway the plugins provide, counting its requests when it can (the
    built-in one has `observe`; a host's gateway may count its own)."""
    connector = hooks.mailchimp_connector(settings)
    observe = getattr(connector, "observe", None)
    if callable(observe):
        observe(telemetry)
    return connector


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    extra_plugins = providers.Object(())
    plugin_manager = providers.Singleton(make_plugin_manager, extra_plugins)
    hooks = providers.Singleton(Hooks, plugin_manager)
    clock = providers.Singleton(SystemClock)

    # The ports, each answered by the plugins (a host's answer wins over the built-ins). Stored
    # activity reaches the host's csmc_activity_recorded worded, like every other reader.
    published = providers.Singleton(worded_for, hooks)
    uow = providers.Singleton(Hooks.unit_of_work_factory, hooks, settings, published)
    client_store = providers.Singleton(Hooks.client_store, hooks, settings)
    directory = providers.Singleton(Hooks.client_directory, hooks, settings)
    # Metrics (Prometheus; one set per process in multiprocess mode, see adapters/metrics).
    telemetry = providers.Singleton(prometheus.telemetry)
    mailchimp = providers.Singleton(observed_connector, hooks, settings, telemetry)
    secret_box = providers.Singleton(Hooks.secret_box, hooks, settings)

    # The use cases and what they share.
    accounts = providers.Factory(Accounts, uow, mailchimp, secret_box)
    webhook_site = providers.Factory(
        WebhookSite, settings.provided.public_url, settings.provided.secret_key
    )
    # The webhook intake's per-process parts: the tenants it authenticates against, the one
    # thread that writes the inbox (group commit) and the one that applies it.
    tenant_cache = providers.Singleton(TenantCache, uow)
    inbox_applier = providers.Singleton(InboxApplier, uow, directory, clock)
    inbox_writer = providers.Singleton(InboxWriter, uow, clock, inbox_applier.provided.wake)
    tenants = providers.Factory(Tenants, uow, settings.provided.list_name)
    clients = providers.Factory(Clients, uow, client_store, directory)
    inbound_service = providers.Factory(
        InboundService, uow, clock, settings.provided.secret_key, tenant_cache, inbox_writer
    )
    guard = providers.Factory(
        Guard, settings.provided.guard_update_percent, settings.provided.guard_archive_percent
    )
    sync_service = providers.Factory(
        SyncService,
        uow,
        accounts,
        directory,
        clock,
        webhook_site,
        inbox_applier.provided.apply_pending,
        guard,
        run_deadline=providers.Callable(_seconds, settings.provided.run_deadline),
        telemetry=telemetry,
    )
    check_service = providers.Factory(CheckService, uow, accounts, clock)
    disconnect_service = providers.Factory(DisconnectService, uow, accounts, clock, webhook_site)
    owner_access = providers.Factory(OwnerAccess, uow, clock, settings)
    owner_page = providers.Factory(
        OwnerPage, uow, clock, settings.provided.night_start_hour, directory
    )
    owner_activity = providers.Factory(OwnerActivity, uow, directory)
    fleet_status = providers.Factory(
        FleetStatus,
        uow,
        clock,
        settings.provided.night_start_hour,
        settings.provided.night_end_hour,
    )
    attention_notices = providers.Factory(
        AttentionNotices,
        uow,
        clock,
        settings.provided.night_end_hour,
        providers.Singleton(attention_for, hooks),
    )
    explain_client = providers.Factory(ExplainClient, uow, accounts, directory)
    start_links = providers.Factory(StartLinks, uow, mailchimp.provided.oauth, clock, settings)
    connect_service = providers.Factory(
        ConnectService,
        uow,
        mailchimp.provided.oauth,
        accounts,
        secret_box,
        clock,
        settings,
        check_service,
        sync_service,
    )
    nightly_service = providers.Factory(
        NightlyService,
        uow,
        sync_service,
        settings.provided.night_start_hour,
        settings.provided.night_end_hour,
    )


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


_lock = threading.Lock()
_runtime: Container | None = None


def runtime() -> Container:
    """This process's container, built on first use (so `--help` needs no settings, and a
    worker builds it after the pool forked)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = build_container()
        return _runtime


def use_runtime(container: Container | None) -> None:
    """The demo and tests choose the process's container; None: build it anew on next use."""
    global _runtime
    with _lock:
        _runtime = container


def stop_background(container: Container) -> None:
    """Ends the webhook intake's threads (the inbox written, the batch in hand applied)."""
    container.inbox_writer().stop()
    container.inbox_applier().stop()

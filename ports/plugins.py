"""A typed facade over pluggy's untyped `pm.hook`, and the plugin manager factory."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import pluggy

from calendarspots_mailchimp.core.errors import ConfigurationError
from calendarspots_mailchimp.ports import hookspecs

if TYPE_CHECKING:
    from calendarspots_mailchimp.core.model import ActivityEntry, Tenant
    from calendarspots_mailchimp.core.settings import Settings
    from calendarspots_mailchimp.ports.client_directory import ClientDirectory
    from calendarspots_mailchimp.ports.mailchimp import MailChimpConnector
    from calendarspots_mailchimp.ports.repositories import ClientStore, UnitOfWorkFactory
    from calendarspots_mailchimp.ports.security import SecretBox

log = logging.getLogger(__name__)


class LoggedAttention:
    """The built-in csmc_attention_needed: one log line, the tenant and the code (no secret,
    nobody's details; the worded fix is the host's to show)."""

    @hookspecs.hookimpl(trylast=True)
    def csmc_attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
        # INFO: the CLI already tells the operator (its one `error:` line, `nightly`'s attention
        # list); `serve` and `worker` log it at their INFO level.
        log.info("tenant %s needs attention: %s", tenant.tenant_id, reason)


def make_plugin_manager(
    extra_plugins: Iterable[object] = (), load_entry_points: bool = True
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(LoggedAttention(), name="csmc-logged-attention")
    if load_entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


class Hooks:
    """What the composition root asks of the plugins, with real types."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _one(self, what: str, value: object | None) -> object:
        if value is None:
            raise ConfigurationError(f"no plugin provides {what}")
        return value

    def unit_of_work_factory(
        self, settings: Settings, published: Callable[[ActivityEntry], None]
    ) -> UnitOfWorkFactory:
        """Entries it stores are handed to `published` once committed."""
        value = self.pm.hook.csmc_unit_of_work_factory(settings=settings, published=published)
        return self._one("persistence (csmc_unit_of_work_factory)", value)  # type: ignore[return-value]

    def client_store(self, settings: Settings) -> ClientStore:
        value = self.pm.hook.csmc_client_store(settings=settings)
        return self._one("a client store (csmc_client_store)", value)  # type: ignore[return-value]

    def client_directory(self, settings: Settings) -> ClientDirectory:
        value = self.pm.hook.csmc_client_directory(settings=settings)
        return self._one("a client directory (csmc_client_directory)", value)  # type: ignore[return-value]

    def mailchimp_connector(self, settings: Settings) -> MailChimpConnector:
        value = self.pm.hook.csmc_mailchimp_connector(settings=settings)
        return self._one("MailChimp (csmc_mailchimp_connector)", value)  # type: ignore[return-value]

    def secret_box(self, settings: Settings) -> SecretBox:
        value = self.pm.hook.csmc_secret_box(settings=settings)
        return self._one("encryption (csmc_secret_box)", value)  # type: ignore[return-value]

    def authorize_request(
        self, tenant_id: str, method: str, path: str, headers: Mapping[str, str]
    ) -> bool | None:
        result = self.pm.hook.csmc_authorize_request(
            tenant_id=tenant_id, method=method, path=path, headers=headers
        )
        return None if result is None else bool(result)

    def attention_needed(self, tenant: Tenant, reason: str, fix: str) -> None:
        try:
            self.pm.hook.csmc_attention_needed(tenant=tenant, reason=reason, fix=fix)
        except Exception:
            log.exception("a plugin failed in csmc_attention_needed")

    def activity_recorded(self, entry: ActivityEntry) -> None:
        try:
            self.pm.hook.csmc_activity_recorded(entry=entry)
        except Exception:
            log.exception("a plugin failed in csmc_activity_recorded (entry kept)")

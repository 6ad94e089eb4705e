"""The plugin's hook surface (pluggy). Every hook carries the `csmc_` prefix.

Built-in adapters implement these exactly like a host platform or a third party would, and are
found through the `calendarspots_mailchimp` entry-point group. "Provide one X" hooks are
`firstresult`: the most recently registered plugin that answers wins, so a host plugin
registered after the built-ins overrides them (built-ins mark themselves `trylast`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from calendarspots_mailchimp.core.model import ActivityEntry, Tenant
    from calendarspots_mailchimp.core.settings import Settings
    from calendarspots_mailchimp.ports.client_directory import ClientDirectory
    from calendarspots_mailchimp.ports.mailchimp import MailChimpConnector
    from calendarspots_mailchimp.ports.repositories import ClientStore, UnitOfWorkFactory
    from calendarspots_mailchimp.ports.security import SecretBox

PROJECT = "calendarspots_mailchimp"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def csmc_unit_of_work_factory(
    settings: Settings, published: Callable[[ActivityEntry], None]
) -> UnitOfWorkFactory | None:
    """Provide the persistence: a callable that opens a new unit of work. Each activity entry
    a unit of work stores is handed to `published` after its transaction commits (never for
    a rolled-back one)."""


@hookspec(firstresult=True)
def csmc_client_store(settings: Settings) -> ClientStore | None:
    """Provide the embedded client directory's write side (CSV import, listing)."""


@hookspec(firstresult=True)
def csmc_client_directory(settings: Settings) -> ClientDirectory | None:
    """Provide the tenants' client database. A host platform answers with its own; the
    embedded directory answers last."""


@hookspec(firstresult=True)
def csmc_mailchimp_connector(settings: Settings) -> MailChimpConnector | None:
    """Provide the MailChimp gateway (OAuth + Marketing API)."""


@hookspec(firstresult=True)
def csmc_secret_box(settings: Settings) -> SecretBox | None:
    """Provide encryption at rest for tokens, keyed by CS_MAILCHIMP_SECRET_KEY."""


@hookspec(firstresult=True)
def csmc_authorize_request(
    tenant_id: str, method: str, path: str, headers: Mapping[str, str]
) -> bool | None:
    """Decide whether an HTTP request to an admin route (activity, ...) for `tenant_id` is
    allowed. Return True or False to decide; None to leave it to the next plugin (the
    built-in fallback checks the CS_MAILCHIMP_ADMIN_TOKEN bearer token)."""


@hookspec
def csmc_attention_needed(tenant: Tenant, reason: str, fix: str) -> None:
    """A tenant now needs its owner: `reason` is a stable code (`reauthorize`: MailChimp
    refused the authorization; `audience_gone`; `audience`: fields missing or the audience
    otherwise wrong; `audience_shared`: another business uses the audience of the same
    MailChimp account; `sync_held`: the mass-change guard holds a sync; `overdue`: no successful
    sync for two local nights) and `fix` what the owner should do, worded in the tenant's
    language (`tenant.locale`). Called once per change of the tenant's attention state — not
    again while it lasts, not when the tenant is fine again. Every plugin is called; the
    built-in one logs one line. Exceptions raised here are logged."""


@hookspec
def csmc_activity_recorded(entry: ActivityEntry) -> None:
    """Called after each activity entry is committed, so the host can show or audit it.
    Exceptions raised here are logged and never undo the entry."""

"""Tenants and the activity view (R9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from calendarspots_mailchimp.core.errors import InvalidInput, NotFound
from calendarspots_mailchimp.core.model import (
    DEFAULT_LOCALE,
    LOCALES,
    ActivityEntry,
    Tenant,
    validate_timezone,
)
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.core.validation import (
    NAME_MAX,
    Problem,
    check_tenant_id,
    has_control,
    text_problem,
)
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

KEEP: Literal["keep"] = "keep"
# A tenant's own guard threshold: a share in (0, 100], None for the settings', KEEP unchanged.
Threshold = float | None | Literal["keep"]


@dataclass(frozen=True)
class AddTenant:
    tenant_id: str
    name: str
    timezone: str
    double_opt_in: bool = False
    archive_removed_clients: bool = False
    list_name: str = ""
    locale: str = DEFAULT_LOCALE


class Tenants:
    """Adding and listing tenants, and reading their activity (R9)."""

    def __init__(self, uow: UnitOfWorkFactory, default_list_name: str) -> None:
        self.uow = uow
        self.default_list_name = default_list_name

    def add(self, cmd: AddTenant) -> Tenant:
        check_tenant_id(cmd.tenant_id)
        if not cmd.name.strip():
            raise InvalidInput("a tenant needs a name (--name)", code="tenant_name")
        problem = text_problem("the tenant's name", cmd.name.strip(), NAME_MAX)
        if has_control(cmd.name):
            problem = Problem(
                "the tenant's name holds a control character", "tenant_name.control", {}
            )
        if problem:
            raise InvalidInput(problem.text, code=problem.code, facts=problem.facts)
        if cmd.locale not in LOCALES:
            raise InvalidInput(
                f"locale {cmd.locale!r} is not one of: {', '.join(LOCALES)}",
                code="locale",
                facts={"locale": cmd.locale, "choices": ", ".join(LOCALES)},
            )
        tenant = Tenant(
            tenant_id=cmd.tenant_id,
            name=cmd.name.strip(),
            timezone=validate_timezone(cmd.timezone),
            list_name=cmd.list_name or self.default_list_name,
            double_opt_in=cmd.double_opt_in,
            archive_removed_clients=cmd.archive_removed_clients,
            locale=cmd.locale,
        )
        with self.uow() as uow:
            uow.tenants.add(tenant)
            uow.commit()
        return tenant

    def get(self, tenant_id: str) -> Tenant:
        return load_tenant(self.uow, tenant_id)

    def set_guard(
        self, tenant_id: str, update_percent: Threshold = KEEP, archive_percent: Threshold = KEEP
    ) -> Tenant:
        """The tenant's own mass-change thresholds (None: back to the settings')."""
        for name, share in (("update", update_percent), ("archive", archive_percent)):
            if isinstance(share, float | int) and not 0 < share <= 100:
                raise InvalidInput(
                    f"the guard's {name} percent must be more than 0 and at most 100",
                    code=f"guard_percent.{name}",
                )
        with self.uow() as uow:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                raise NotFound(
                    f"tenant {tenant_id!r} does not exist",
                    code="no_tenant",
                    facts={"tenant": tenant_id},
                )
            if update_percent != KEEP:
                tenant = replace(tenant, guard_update_percent=update_percent)
            if archive_percent != KEEP:
                tenant = replace(tenant, guard_archive_percent=archive_percent)
            uow.tenants.save(tenant)
            uow.commit()
        return tenant

    def all(self) -> list[Tenant]:
        with self.uow() as uow:
            return sorted(uow.tenants.list(), key=lambda t: t.tenant_id)

    def activity(
        self, tenant_id: str, limit: int = 50, offset: int = 0, kinds: Sequence[str] = ()
    ) -> tuple[list[ActivityEntry], int]:
        """Newest first, with the total count for paging."""
        if not 1 <= limit <= 1000:
            raise InvalidInput(
                "limit must be between 1 and 1000", code="activity.limit", facts={"most": 1000}
            )
        if not 0 <= offset <= 10_000_000:
            raise InvalidInput(
                "offset must be between 0 and 10000000",
                code="activity.offset",
                facts={"most": 10_000_000},
            )
        load_tenant(self.uow, tenant_id)
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            entries = scope.activity.list(limit=limit, offset=offset, kinds=kinds)
            return entries, scope.activity.count(kinds)


def tenant_json(tenant: Tenant) -> dict[str, object]:
    return {
        "tenant": tenant.tenant_id,
        "id": tenant.tenant_id,
        "name": tenant.name,
        "timezone": tenant.timezone,
        "list_name": tenant.list_name,
        "double_opt_in": tenant.double_opt_in,
        "archive_removed_clients": tenant.archive_removed_clients,
        "locale": tenant.locale,
        "guard_update_percent": tenant.guard_update_percent,  # null: the settings'
        "guard_archive_percent": tenant.guard_archive_percent,
        "state": str(tenant.state),
        "state_reason": tenant.state_reason,
        "account": tenant.account_name,
        "audience_id": tenant.audience_id,
        "webhook_installed": bool(tenant.webhook_id),
        "last_sync_at": tenant.last_sync_at.isoformat() if tenant.last_sync_at else None,
    }

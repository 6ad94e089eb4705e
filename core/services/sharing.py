"""R1, one audience per business: two tenants never sync into the same MailChimp audience.

Two businesses may authorize the same MailChimp account (an owner with two salons, a login
shared with a colleague): both would find its one audience named `calendarspots`, both would
sync into it, and an unsubscribe from one business's newsletter would flow back into the
other's client database. So the tenant that uses an audience keeps it, and another tenant of
the same MailChimp account that finds it (its check, its sync) is not synced into it: it needs
attention (`audience.shared`) until its owner authorizes a MailChimp account of their own, or
the first tenant is disconnected — its next check or sync then takes the audience.

"Uses": the tenant's stored audience is that one, of the same account (MailChimp's account
id when both know it, else the data center and the account's name), and it is connected,
needs attention for another reason, or needs re-authorization (a revoked token does not give
its audience away). Two tenants that already shared an audience before this rule: the one
that began syncing later lets it go, whichever is checked first. Two tenants whose first checks run at the same instant may
both take it; the next sync of either one then lets it go.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace

from calendarspots_mailchimp.core.errors import AudienceContractError, decoded
from calendarspots_mailchimp.core.model import ConnectionState, Tenant
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, MailChimpError
from calendarspots_mailchimp.ports.repositories import SyncRunRepository, UnitOfWorkFactory

SHARED = "audience.shared"  # the error's code, and the stored reason's
PROBLEM = "shared-audience"  # the check's problem code (CheckResult.problems)
_HOLDS = frozenset(
    {
        ConnectionState.CONNECTED,
        ConnectionState.NEEDS_ATTENTION,
        ConnectionState.NEEDS_REAUTHORIZATION,
    }
)


def same_account(a: Tenant, b: Tenant) -> bool:
    """Whether two tenants are authorized on one MailChimp account (see is_account_switch)."""
    if a.account_id and b.account_id:
        return a.account_id == b.account_id
    return bool(a.api_endpoint) and (a.api_endpoint, a.account_name) == (
        b.api_endpoint,
        b.account_name,
    )


def shared_with(tenant: Tenant) -> str | None:
    """The tenant that keeps the audience this one found, when that is why this one needs
    attention; None otherwise."""
    if tenant.state != ConnectionState.NEEDS_ATTENTION:
        return None
    found = decoded(tenant.state_reason)
    if found is None or found[0] != SHARED:
        return None
    return str(found[1].get("other", ""))


def holder(uow: UnitOfWorkFactory, tenant: Tenant, audience_id: str) -> Tenant | None:
    """Another tenant that uses this audience of the tenant's MailChimp account, or None.
    When this tenant uses it too (a pair from before this rule), the one that began syncing
    first keeps it, whichever is checked first."""
    with uow() as u:
        others = [
            other
            for other in u.tenants.using_audience(audience_id)
            if other.tenant_id != tenant.tenant_id
            and other.state in _HOLDS
            and shared_with(other) is None
            and same_account(other, tenant)
        ]
        if others and tenant.audience_id == audience_id:
            mine = u.scope(tenant.tenant_id).runs.first_id()
            if mine is not None:
                others = [o for o in others if _began_before(u.scope(o.tenant_id).runs, mine)]
    return others[0] if others else None


def _began_before(runs: SyncRunRepository, first: int) -> bool:
    theirs = runs.first_id()
    return theirs is not None and theirs < first


def shared_error(tenant: Tenant, audience_id: str, other: Tenant) -> AudienceContractError:
    return AudienceContractError(
        f"the MailChimp audience {tenant.list_name!r} (id {audience_id}) is already used by "
        f"tenant {other.tenant_id!r}, connected to the same MailChimp account: two businesses "
        "must not share one audience (one's unsubscribes would reach the other's clients), so "
        "this tenant is not synced into it. Have its owner authorize a MailChimp account of "
        f"their own, or disconnect {other.tenant_id!r}.",
        problems=(PROBLEM,),
        code=SHARED,
        facts={"list": tenant.list_name, "id": audience_id, "other": other.tenant_id},
    )


def let_go(
    uow: UnitOfWorkFactory, account: MailChimpAccount, tenant_id: str, audience_id: str
) -> None:
    """The tenant stops using an audience another tenant keeps (it used it before this rule,
    or took it at the same instant): its webhook there is removed (best effort: events it
    still sends are refused, as another audience's), and the tenant forgets the audience, its
    ledger and its checkpoints, so nothing of that audience applies to its clients."""
    with uow() as u:
        current = u.tenants.get(tenant_id)
    if current is None or current.audience_id != audience_id:
        return
    if current.webhook_id:
        with suppress(MailChimpError):
            account.delete_webhook(audience_id, current.webhook_id)
    with uow() as u:
        stored = u.tenants.get(tenant_id) or current
        u.scope(tenant_id).ledger.clear()
        u.tenants.save(
            replace(
                stored,
                audience_id="",
                webhook_id="",
                members_checked_at=None,
                clients_marker="",
            )
        )
        u.commit()

"""`check [--fix]`: the audience contract (R1, R2; R6 for a known audience), and R1's other
half: an audience another business already uses is not this one's (core/services/sharing.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from calendarspots_mailchimp.core.errors import AudienceContractError, coded, decoded
from calendarspots_mailchimp.core.model import ActivityKind, ConnectionState, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services import sharing
from calendarspots_mailchimp.core.services.tenancy import (
    Accounts,
    load_tenant,
    record,
    record_alone,
)
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, TokenRevoked
from calendarspots_mailchimp.ports.repositories import UnitOfWork, UnitOfWorkFactory

REVOKED = (
    "MailChimp refused the plugin's authorization (it was revoked). The owner must authorize again."
)


@dataclass
class CheckResult:
    """`code` and `facts` say the outcome (entrypoints/messages.py words them); `message` is
    the same in English."""

    ok: bool
    message: str
    audience_id: str = ""
    problems: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    code: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The outcome as passed on: code and facts (see core.errors.coded), else message."""
        return coded(self.code, self.facts) if self.code else self.message

    @property
    def revoked(self) -> bool:
        return "authorization-revoked" in self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "audience_id": self.audience_id,
            "problems": self.problems,
            "fixed": self.fixed,
        }


class CheckService:
    def __init__(self, uow: UnitOfWorkFactory, accounts: Accounts, clock: Clock) -> None:
        self.uow = uow
        self.accounts = accounts
        self.clock = clock

    def check(self, tenant_id: str, fix: bool = False, rediscover: bool = False) -> CheckResult:
        """`rediscover` finds the audience by name again, as after a re-authorization; a
        different audience than before resets the ledger."""
        tenant = load_tenant(self.uow, tenant_id)
        account = self.accounts.open(tenant)
        try:
            return self._check(
                replace(tenant, audience_id="") if rediscover else tenant, account, fix
            )
        except TokenRevoked:
            self._flag(
                tenant,
                ConnectionState.NEEDS_REAUTHORIZATION,
                "revoked",
                ActivityKind.AUTHORIZATION_REVOKED,
            )
            return CheckResult(False, REVOKED, problems=["authorization-revoked"], code="revoked")
        finally:
            account.close()

    def _check(self, tenant: Tenant, account: MailChimpAccount, fix: bool) -> CheckResult:
        try:
            audience, problems = contract.check_audience(account, tenant, tenant.list_name)
        except AudienceContractError as exc:
            return self._refused(tenant, exc)
        shared = self._shared(tenant, account, audience.audience_id)
        if shared is not None:
            return shared
        fixed: list[str] = []
        if fix and problems:
            fixed = contract.fix_fields(account, audience.audience_id, problems)
            if fixed:
                record_alone(
                    self.uow, self.clock, tenant.tenant_id, ActivityKind.CHECK_FIXED, fields=fixed
                )
            problems = [p for p in problems if p.tag not in fixed]
        if problems:
            error = contract.fields_error(tenant, problems)
            described = [p.describe() for p in problems]
            self._flag(
                tenant,
                ConnectionState.NEEDS_ATTENTION,
                error.reason,
                ActivityKind.CHECK_FAILED,
                audience_id=audience.audience_id,
                problems=described,
                error=error.message,
            )
            found = audience.audience_id
            return CheckResult(
                False, error.message, found, described, fixed, error.code, error.facts
            )
        return self._passed(tenant, audience.audience_id, fixed)

    def _passed(self, tenant: Tenant, audience_id: str, fixed: list[str]) -> CheckResult:
        """The audience is the tenant's and has its fields: adopted, and connected again."""
        message = (
            f"the audience {tenant.list_name!r} (id {audience_id}) has EMAIL, "
            "FNAME, LNAME and BIRTHDAY"
        )
        passed = {"list": tenant.list_name, "audience_id": audience_id}
        with self.uow() as uow:
            current = _adopt(uow, tenant, audience_id)
            state = (
                ConnectionState.CONNECTED
                if current.state == ConnectionState.NEEDS_ATTENTION
                else current.state
            )
            uow.tenants.save(current.with_state(state))
            record(
                uow.scope(tenant.tenant_id),
                self.clock.now(),
                ActivityKind.CHECK_PASSED,
                audience_id=audience_id,
                list_name=tenant.list_name,
            )
            uow.commit()
        return CheckResult(True, message, audience_id, [], fixed, "check.passed", passed)

    def _shared(
        self, tenant: Tenant, account: MailChimpAccount, audience_id: str
    ) -> CheckResult | None:
        """R1: another business keeps this audience, so this tenant is not synced into it (and
        lets it go if it held it too); None when the audience is nobody else's."""
        other = sharing.holder(self.uow, tenant, audience_id)
        if other is None:
            return None
        sharing.let_go(self.uow, account, tenant.tenant_id, audience_id)
        return self._refused(tenant, sharing.shared_error(tenant, audience_id, other))

    def _refused(self, tenant: Tenant, exc: AudienceContractError) -> CheckResult:
        """The audience breaks the contract (R1/R2) or is another tenant's: the tenant needs
        attention, the activity log says why, and the check fails with the error's code."""
        self._flag(
            tenant,
            ConnectionState.NEEDS_ATTENTION,
            exc.reason,
            ActivityKind.CHECK_FAILED,
            problems=list(exc.problems),
            error=exc.message,
        )
        codes = list(exc.problems)
        return CheckResult(False, exc.message, problems=codes, code=exc.code, facts=exc.facts)

    def _flag(
        self,
        tenant: Tenant,
        state: ConnectionState,
        message: str,
        kind: ActivityKind,
        **details: Any,
    ) -> None:
        with self.uow() as uow:
            current = uow.tenants.get(tenant.tenant_id) or tenant
            if details.get("audience_id"):
                # The audience was found (only its fields are wrong): remember it, so that
                # `check --fix` works on it rather than on one deleted before.
                current = _adopt(uow, tenant, str(details["audience_id"]))
            uow.tenants.save(current.with_state(state, message))
            if kind == ActivityKind.CHECK_FAILED:
                # The reason's code and facts (worded by readers); `error` in English.
                found = decoded(message)
                if found is not None:
                    details["code"], details["facts"] = found
            record(uow.scope(tenant.tenant_id), self.clock.now(), kind, **details)
            uow.commit()


def _adopt(uow: UnitOfWork, tenant: Tenant, audience_id: str) -> Tenant:
    """The tenant's audience is now `audience_id`; a different one than before starts with an
    empty ledger (nothing remembered about the old audience's members applies)."""
    current = uow.tenants.get(tenant.tenant_id) or tenant
    if current.audience_id and current.audience_id != audience_id:
        uow.scope(tenant.tenant_id).ledger.clear()
        current = replace(current, webhook_id="", members_checked_at=None, clients_marker="")
    return replace(current, audience_id=audience_id)

"""Authorization (R3): authorize URL, callback, then check, webhook and initial sync; and the
`check [--fix]` use case (R1, R2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from calendarspots_mailchimp.core.errors import (
    AudienceContractError,
    AuthorizationError,
    CalendarspotsError,
    ConfigurationError,
    NotFound,
)
from calendarspots_mailchimp.core.model import ActivityKind, ConnectionState, SyncKind, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services.deps import (
    Deps,
    Journal,
    get_tenant,
    open_account,
    record_now,
)
from calendarspots_mailchimp.core.services.oauth_state import (
    make_link_token,
    make_state,
    read_claims,
    read_link_token,
)
from calendarspots_mailchimp.core.services.sync import SyncReport, SyncService
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.mailchimp import MailChimpError, TokenRevoked
from calendarspots_mailchimp.ports.repositories import UnitOfWork


@dataclass
class ConnectResult:
    ok: bool
    message: str
    tenant_id: str = ""
    sync: SyncReport | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ok": self.ok, "message": self.message}
        if self.tenant_id:
            data["tenant"] = self.tenant_id
        if self.sync is not None:
            data["sync"] = self.sync.as_json()
        return data


@dataclass(frozen=True)
class StartLink:
    tenant_id: str
    url: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant_id,
            "authorize_url": self.url,
            "expires_at": self.expires_at.isoformat(),
            "uses": 1,
        }


@dataclass
class CheckResult:
    ok: bool
    message: str
    audience_id: str = ""
    problems: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "audience_id": self.audience_id,
            "problems": self.problems,
            "fixed": self.fixed,
        }


class ConnectService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def authorize_url(self, tenant_id: str) -> str:
        """MailChimp's authorize URL for the tenant, for a caller already known to manage it
        (the host's auth, the admin token, or a redeemed start link)."""
        settings = self._ready(tenant_id)
        state = make_state(tenant_id, settings.secret_key, self.deps.clock.now())
        return self.deps.mailchimp.oauth.authorize_url(settings.redirect_uri, state)

    def start_link(self, tenant_id: str) -> StartLink:
        """The one-use link (15 minutes) an operator hands the owner: it opens the start route
        without any other credential."""
        settings = self._ready(tenant_id)
        token, expires_at = make_link_token(tenant_id, settings.secret_key, self.deps.clock.now())
        query = urlencode({"tenant": tenant_id, "link_token": token})
        return StartLink(
            tenant_id, f"{settings.public_url}/oauth/mailchimp/start?{query}", expires_at
        )

    def redeem_start_link(self, tenant_id: str, token: str) -> str:
        """MailChimp's authorize URL for a start link, spending it. A link that is forged,
        expired, already used or made for another tenant raises NotFound, exactly like an
        unknown tenant, and writes nothing."""
        settings = self._ready(tenant_id)
        try:
            claims = read_link_token(token, settings.secret_key, self.deps.clock.now())
        except AuthorizationError as exc:
            raise NotFound(f"no tenant {tenant_id!r}") from exc
        if claims.tenant_id != tenant_id:
            raise NotFound(f"no tenant {tenant_id!r}")
        url = self.authorize_url(tenant_id)
        with self.deps.uow() as uow:
            first_use = uow.oauth_states.use(
                f"link:{claims.nonce}", tenant_id, claims.expires_at, self.deps.clock.now()
            )
            uow.commit()
        if not first_use:
            raise NotFound(f"no tenant {tenant_id!r}")
        return url

    def _ready(self, tenant_id: str) -> Settings:
        settings = self.deps.settings
        get_tenant(self.deps, tenant_id)
        if not settings.client_id:
            raise ConfigurationError(
                "CS_MAILCHIMP_CLIENT_ID is not set: register the platform's app with MailChimp"
            )
        return settings

    def callback(self, code: str, state: str, error: str = "") -> ConnectResult:
        """The OAuth redirect target. Never raises for the owner's sake: every outcome is a
        message; but a bad `state` raises AuthorizationError (nothing can be attributed)."""
        deps = self.deps
        claims = read_claims(state, deps.settings.secret_key, deps.clock.now())
        tenant_id = claims.tenant_id
        tenant = get_tenant(deps, tenant_id)
        with deps.uow() as uow:
            first_use = uow.oauth_states.use(
                claims.nonce, tenant_id, claims.expires_at, deps.clock.now()
            )
            uow.commit()
        if not first_use:
            # A replayed callback (a reload, a copied link): its code is spent or stolen.
            message = "This authorization link was already used: click Authorize again to connect."
            record_now(deps, tenant_id, ActivityKind.AUTHORIZATION_FAILED, message)
            return ConnectResult(False, message, tenant_id)
        if error or not code:
            message = (
                "MailChimp authorization was not granted"
                f"{f' ({error})' if error else ''}: click Authorize again to connect."
            )
            record_now(deps, tenant_id, ActivityKind.AUTHORIZATION_FAILED, message)
            return ConnectResult(False, message, tenant_id)
        box = deps.box()  # fails early, before the code is spent, if no key is set
        try:
            token = deps.mailchimp.oauth.exchange_code(code, deps.settings.redirect_uri)
            meta = deps.mailchimp.oauth.metadata(token)
            account_id = self._account_id(meta.api_endpoint, token)
        except (MailChimpError, AuthorizationError) as exc:
            message = (
                f"MailChimp did not complete the authorization ({exc}): click Authorize again."
            )
            record_now(deps, tenant_id, ActivityKind.AUTHORIZATION_FAILED, message)
            return ConnectResult(False, message, tenant_id)
        journal = Journal(deps)
        with deps.uow() as uow:
            scope = uow.scope(tenant_id)
            current = uow.tenants.get(tenant_id) or tenant
            if current.account_id and account_id:
                new_account = current.account_id != account_id
            else:  # an id unknown on either side: the data center and the account name
                new_account = current.api_endpoint != meta.api_endpoint or (
                    current.account_name != meta.account_name
                )
            if new_account:
                # Another MailChimp account: nothing we remember about members applies, and
                # the old account's webhook would call us for an audience we no longer serve.
                self._remove_old_webhook(current, scope.token.get())
                scope.ledger.clear()
                current = replace(current, audience_id="", webhook_id="", members_checked_at=None)
            scope.token.put(box.encrypt(token))
            updated = replace(
                current,
                api_endpoint=meta.api_endpoint,
                account_name=meta.account_name,
                account_id=account_id or ("" if new_account else current.account_id),
            ).with_state(ConnectionState.CONNECTED)
            uow.tenants.save(updated)
            journal.record(
                scope,
                ActivityKind.AUTHORIZATION_GRANTED,
                f"MailChimp account {meta.account_name or meta.dc} authorized.",
                account=meta.account_name,
                dc=meta.dc,
            )
            uow.commit()
        journal.published()
        return self._after_authorization(tenant_id)

    def _account_id(self, api_endpoint: str, token: str) -> str:
        """MailChimp's account id, or "" when the API root will not say (the switch check then
        falls back to data center and account name): never a reason to refuse a connection."""
        account = self.deps.mailchimp.account(api_endpoint, token)
        try:
            return contract.account_id_or_blank(account)
        finally:
            account.close()

    def _remove_old_webhook(self, tenant: Tenant, ciphertext: bytes | None) -> None:
        """Best effort, with the old account's token: a failure leaves a webhook whose events
        are refused (and logged) until the owner deletes it in the old account."""
        if not (ciphertext and tenant.api_endpoint and tenant.audience_id and tenant.webhook_id):
            return
        try:
            old = self.deps.mailchimp.account(
                tenant.api_endpoint, self.deps.box().decrypt(ciphertext)
            )
        except CalendarspotsError:
            return
        try:
            old.delete_webhook(tenant.audience_id, tenant.webhook_id)
        except MailChimpError:
            pass
        finally:
            old.close()

    def _after_authorization(self, tenant_id: str) -> ConnectResult:
        check = CheckService(self.deps).check(tenant_id, fix=False, rediscover=True)
        if not check.ok:
            return ConnectResult(False, f"MailChimp is connected, but {check.message}", tenant_id)
        report = SyncService(self.deps).sync(tenant_id, SyncKind.INITIAL, audience_checked=True)
        if not report.ok:
            return ConnectResult(
                False,
                f"MailChimp is connected, but the initial sync failed: {report.message}",
                tenant_id,
                report,
            )
        counts = report.counts
        tenant = get_tenant(self.deps, tenant_id)
        message = (
            f"MailChimp is connected and the initial sync {'succeeded' if counts.failed == 0 else 'finished with problems'}: "
            f"{counts.created} contacts added and {counts.updated} updated in the audience "
            f"{tenant.list_name!r}, {counts.skipped} skipped, {counts.failed} refused by MailChimp. "
            "From now on the sync runs every night."
        )
        return ConnectResult(counts.failed == 0, message, tenant_id, report)


class CheckService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def check(self, tenant_id: str, fix: bool = False, rediscover: bool = False) -> CheckResult:
        """R1/R2 (and R6 for a known audience). `rediscover` finds the audience by name again,
        as after a re-authorization; a different audience than before resets the ledger."""
        deps = self.deps
        tenant = get_tenant(deps, tenant_id)
        account = open_account(deps, tenant)
        try:
            return self._check(
                replace(tenant, audience_id="") if rediscover else tenant, account, fix
            )
        except TokenRevoked:
            message = (
                "MailChimp refused the plugin's authorization (it was revoked). The owner "
                "must authorize again."
            )
            self._flag(
                tenant,
                ConnectionState.NEEDS_REAUTHORIZATION,
                message,
                ActivityKind.AUTHORIZATION_REVOKED,
            )
            return CheckResult(False, message, problems=["authorization-revoked"])
        finally:
            account.close()

    def _check(self, tenant: Tenant, account: Any, fix: bool) -> CheckResult:
        try:
            audience, problems = contract.check_audience(account, tenant, tenant.list_name)
        except AudienceContractError as exc:
            self._flag(
                tenant,
                ConnectionState.NEEDS_ATTENTION,
                exc.message,
                ActivityKind.CHECK_FAILED,
                problems=list(exc.problems),
            )
            return CheckResult(False, exc.message, problems=list(exc.problems))
        fixed: list[str] = []
        if fix and problems:
            fixed = contract.fix_fields(account, audience.audience_id, problems)
            if fixed:
                record_now(
                    self.deps,
                    tenant.tenant_id,
                    ActivityKind.CHECK_FIXED,
                    f"Added the missing audience field(s) {', '.join(fixed)} in MailChimp.",
                    fields=fixed,
                )
            problems = [p for p in problems if p.tag not in fixed]
        if problems:
            message = contract.describe_field_problems(tenant, problems)
            self._flag(
                tenant,
                ConnectionState.NEEDS_ATTENTION,
                message,
                ActivityKind.CHECK_FAILED,
                audience_id=audience.audience_id,
                problems=[p.describe() for p in problems],
            )
            return CheckResult(
                False, message, audience.audience_id, [p.describe() for p in problems], fixed
            )
        message = (
            f"the audience {tenant.list_name!r} (id {audience.audience_id}) has EMAIL, "
            "FNAME, LNAME and BIRTHDAY"
        )
        journal = Journal(self.deps)
        with self.deps.uow() as uow:
            current = _adopt(uow, tenant, audience.audience_id)
            state = (
                ConnectionState.CONNECTED
                if current.state == ConnectionState.NEEDS_ATTENTION
                else current.state
            )
            uow.tenants.save(replace(current, audience_id=audience.audience_id).with_state(state))
            journal.record(
                uow.scope(tenant.tenant_id),
                ActivityKind.CHECK_PASSED,
                f"Check passed: {message}.",
                audience_id=audience.audience_id,
            )
            uow.commit()
        journal.published()
        return CheckResult(True, message, audience.audience_id, [], fixed)

    def _flag(
        self,
        tenant: Tenant,
        state: ConnectionState,
        message: str,
        kind: ActivityKind,
        **details: Any,
    ) -> None:
        journal = Journal(self.deps)
        with self.deps.uow() as uow:
            current = uow.tenants.get(tenant.tenant_id) or tenant
            if details.get("audience_id"):
                # The audience was found (only its fields are wrong): remember it, so that
                # `check --fix` works on it rather than on one deleted before.
                current = _adopt(uow, tenant, str(details["audience_id"]))
            uow.tenants.save(current.with_state(state, message))
            journal.record(uow.scope(tenant.tenant_id), kind, message, **details)
            uow.commit()
        journal.published()


def _adopt(uow: UnitOfWork, tenant: Tenant, audience_id: str) -> Tenant:
    """The tenant's audience is now `audience_id`; a different one than before starts with an
    empty ledger (nothing remembered about the old audience's members applies)."""
    current = uow.tenants.get(tenant.tenant_id) or tenant
    if current.audience_id and current.audience_id != audience_id:
        uow.scope(tenant.tenant_id).ledger.clear()
        current = replace(current, webhook_id="", members_checked_at=None)
    return replace(current, audience_id=audience_id)


__all__ = ["CalendarspotsError", "CheckResult", "CheckService", "ConnectResult", "ConnectService"]

"""Authorization (R3): the start link, MailChimp's authorize URL, the callback; then the check,
the webhook and the initial sync."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from calendarspots_mailchimp.core.errors import (
    AuthorizationError,
    CalendarspotsError,
    NotFound,
)
from calendarspots_mailchimp.core.model import ActivityKind, ConnectionState, SyncKind, Tenant
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services.check import CheckService
from calendarspots_mailchimp.core.services.oauth_state import (
    read_claims,
)
from calendarspots_mailchimp.core.services.sync import SyncReport, SyncService
from calendarspots_mailchimp.core.services.tenancy import (
    Accounts,
    load_tenant,
    record,
    record_alone,
)
from calendarspots_mailchimp.core.settings import Settings
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import (
    AccountMetadata,
    MailChimpError,
    MailChimpOAuth,
)
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory
from calendarspots_mailchimp.ports.security import SecretBox


class Connected(StrEnum):
    """How an authorization ended."""

    SYNCED = "synced"  # connected, and the initial sync ran (see `sync` for refusals)
    REPLAYED = "replayed"  # the callback of a state already used
    DENIED = "denied"  # the owner did not grant access on MailChimp
    INCOMPLETE = "incomplete"  # MailChimp did not complete the code exchange
    CHECK_FAILED = "check_failed"  # connected, but the audience breaks R1/R2
    SYNC_FAILED = "sync_failed"  # connected, but the initial sync failed


@dataclass
class ConnectResult:
    """Facts only; the owner's words are entrypoints/messages.py's."""

    ok: bool
    outcome: Connected
    tenant_id: str = ""
    error: str = ""  # why it failed: a code and facts (core.errors.coded), or OAuth's `error`
    list_name: str = ""
    sync: SyncReport | None = None


def is_account_switch(current: Tenant, meta: AccountMetadata, account_id: str) -> bool:
    """Whether an authorization moves the tenant to another MailChimp account. MailChimp's
    account id decides when both sides know it (the owner may rename the account); otherwise
    the data center and the account name do."""
    if not current.api_endpoint:
        return False  # never connected: nothing to move away from
    if current.account_id and account_id:
        return current.account_id != account_id
    return current.api_endpoint != meta.api_endpoint or current.account_name != meta.account_name


class ConnectService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        oauth: MailChimpOAuth,
        accounts: Accounts,
        box: SecretBox,
        clock: Clock,
        settings: Settings,
        check: CheckService,
        sync: SyncService,
    ) -> None:
        self.uow = uow
        self.oauth = oauth
        self.accounts = accounts
        self.box = box
        self.clock = clock
        self.settings = settings
        self.check = check
        self.sync = sync

    def callback(self, code: str, state: str, error: str = "") -> ConnectResult:
        """The OAuth redirect target. Every outcome is a message for the owner; only a bad
        `state` raises AuthorizationError (nothing can be attributed to a tenant)."""
        claims = read_claims(state, self.settings.secret_key, self.clock.now())
        tenant_id = claims.tenant_id
        load_tenant(self.uow, tenant_id)
        with self.uow() as uow:
            first_use = uow.oauth_states.use(
                claims.nonce, tenant_id, claims.expires_at, self.clock.now()
            )
            uow.commit()
        if not first_use:
            # A replayed callback (a reload, a copied link): its code is spent or stolen.
            return self._failed(tenant_id, Connected.REPLAYED)
        if error or not code:
            return self._failed(tenant_id, Connected.DENIED, error)
        try:
            token = self.oauth.exchange_code(code, self.settings.redirect_uri)
            meta = self.oauth.metadata(token)
            account_id = self._account_id(meta.api_endpoint, token)
        except (MailChimpError, AuthorizationError) as exc:
            # Its code and facts (core.errors.coded), worded by each reader in their language.
            return self._failed(tenant_id, Connected.INCOMPLETE, exc.reason)
        self._store_authorization(tenant_id, token, meta, account_id)
        return self._after_authorization(tenant_id)

    def _failed(self, tenant_id: str, outcome: Connected, error: str = "") -> ConnectResult:
        record_alone(
            self.uow,
            self.clock,
            tenant_id,
            ActivityKind.AUTHORIZATION_FAILED,
            reason=str(outcome),
            error=error,
        )
        return ConnectResult(False, outcome, tenant_id, error)

    def _store_authorization(
        self, tenant_id: str, token: str, meta: AccountMetadata, account_id: str
    ) -> None:
        ciphertext = self.box.encrypt(token)
        with self.uow() as uow:
            before = uow.tenants.get(tenant_id)
            old_token = uow.scope(tenant_id).token.get()
        if before is None:
            raise NotFound(
                f"no tenant {tenant_id!r}", code="no_tenant", facts={"tenant": tenant_id}
            )
        switch = is_account_switch(before, meta, account_id)
        if switch:
            # The old account's webhook would call us for an audience we no longer serve.
            self._remove_old_webhook(before, old_token)
        with self.uow() as uow:
            scope = uow.scope(tenant_id)
            current = uow.tenants.get(tenant_id) or before
            if switch:
                # Nothing we remember about the old account's members applies.
                scope.ledger.clear()
                current = replace(
                    current,
                    audience_id="",
                    webhook_id="",
                    members_checked_at=None,
                    clients_marker="",
                )
            scope.token.put(ciphertext)
            updated = replace(
                current,
                api_endpoint=meta.api_endpoint,
                account_name=meta.account_name,
                account_id=account_id or ("" if switch else current.account_id),
            ).with_state(ConnectionState.CONNECTED)
            uow.tenants.save(updated)
            record(
                scope,
                self.clock.now(),
                ActivityKind.AUTHORIZATION_GRANTED,
                account=meta.account_name,
                dc=meta.dc,
            )
            uow.commit()

    def _account_id(self, api_endpoint: str, token: str) -> str:
        """MailChimp's account id, or "" when the API root will not say (the switch check then
        falls back to data center and account name): never a reason to refuse a connection."""
        account = self.accounts.with_token(api_endpoint, token)
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
            old = self.accounts.with_ciphertext(tenant.api_endpoint, ciphertext)
        except CalendarspotsError:
            return
        try:
            old.delete_webhook(tenant.audience_id, tenant.webhook_id)
        except MailChimpError:
            pass
        finally:
            old.close()

    def _after_authorization(self, tenant_id: str) -> ConnectResult:
        list_name = load_tenant(self.uow, tenant_id).list_name
        check = self.check.check(tenant_id, fix=False, rediscover=True)
        if not check.ok:
            return ConnectResult(False, Connected.CHECK_FAILED, tenant_id, check.reason, list_name)
        report = self.sync.sync(tenant_id, SyncKind.INITIAL, audience_checked=True)
        if not report.ok:
            return ConnectResult(False, Connected.SYNC_FAILED, tenant_id, "", list_name, report)
        ok = report.counts.failed == 0
        return ConnectResult(ok, Connected.SYNCED, tenant_id, "", list_name, report)

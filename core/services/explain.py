"""`clients explain TENANT EMAIL|CLIENT_ID`: one client's whole story, as data — the platform's
record, what the ledger remembers, the live MailChimp member (one GET), the activity entries
about the address, and why it is in MailChimp as it is (explain_story.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from calendarspots_mailchimp.core.errors import NotConnected, NotFound
from calendarspots_mailchimp.core.model import ActivityEntry, Client, LedgerEntry, Tenant
from calendarspots_mailchimp.core.services.explain_story import Explanation, explain
from calendarspots_mailchimp.core.services.tenancy import Accounts, load_tenant
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.mailchimp import MailChimpError, MemberState, TokenRevoked
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

ACTIVITY_PAGE = 500
ACTIVITY_SCANNED = 5_000  # newest entries looked through for the address
ADDRESS_KEYS = ("email", "old_email", "new_email")


@dataclass(frozen=True)
class Live:
    """The member as MailChimp has it now; `skipped` or `error` when it was not read."""

    read: bool = False
    member: MemberState | None = None
    skipped: str = ""  # "not_connected" | "no_audience"
    error: str = ""  # "revoked", or MailChimp's error as a code and facts (core.errors.coded)


@dataclass(frozen=True)
class ClientStory:
    tenant: Tenant
    client: Client
    ledger: LedgerEntry | None
    live: Live
    explanation: Explanation
    entries: list[ActivityEntry] = field(default_factory=list)
    entries_truncated: bool = False  # older entries beyond ACTIVITY_SCANNED were not looked at

    @property
    def up_to_date(self) -> bool | None:
        """Whether what was last pushed is the client as it is now (None: never pushed)."""
        if self.ledger is None:
            return None
        return self.ledger.content_hash == self.client.content_hash()


def mentions(entry: ActivityEntry, addresses: set[str]) -> bool:
    return any(str(entry.details.get(key, "")).strip().lower() in addresses for key in ADDRESS_KEYS)


class ExplainClient:
    def __init__(
        self, uow: UnitOfWorkFactory, accounts: Accounts, directory: ClientDirectory
    ) -> None:
        self.uow = uow
        self.accounts = accounts
        self.directory = directory

    def explain(self, tenant_id: str, key: str) -> ClientStory:
        """`key`: a client_id or an email address (any case). NotFound for either unknown."""
        tenant = load_tenant(self.uow, tenant_id)
        client = self._find(tenant_id, key.strip())
        if client is None:
            raise NotFound(
                f"no client {key.strip()!r} in tenant {tenant_id!r}",
                code="no_client",
                facts={"client": key.strip(), "tenant": tenant_id},
            )
        with self.uow() as uow:
            ledger = uow.scope(tenant_id).ledger
            entry = ledger.get_many([client.client_id]).get(client.client_id)
            if entry is None:
                entry = ledger.find_by_email(client.email.strip())
        live = self._live(tenant, client.email.strip())
        addresses = {client.email.strip().lower()}
        if entry is not None:
            addresses.add(entry.email.strip().lower())
        entries, truncated = self._entries(tenant_id, addresses)
        status = live.member.status if live.member is not None else None
        explanation = explain(tenant, client, entry, status, live.read)
        return ClientStory(tenant, client, entry, live, explanation, entries, truncated)

    def _find(self, tenant_id: str, key: str) -> Client | None:
        find = getattr(self.directory, "find", None)
        if find is not None:
            found: Client | None = find(tenant_id, key)
            return found
        # A host directory without `find`: one pass over its clients.
        wanted = key.lower()
        by_email = None
        for client in self.directory.clients(tenant_id):
            if client.client_id == key:
                return client
            if by_email is None and client.email.strip().lower() == wanted:
                by_email = client
        return by_email

    def _live(self, tenant: Tenant, email: str) -> Live:
        """One GET, when the tenant is connected to an audience."""
        if not tenant.connected:
            return Live(skipped="not_connected")
        if not tenant.audience_id:
            return Live(skipped="no_audience")
        try:
            account = self.accounts.open(tenant)
        except NotConnected:
            return Live(skipped="not_connected")
        try:
            return Live(read=True, member=account.get_member(tenant.audience_id, email))
        except TokenRevoked:
            return Live(error="revoked")
        except MailChimpError as exc:
            return Live(error=exc.reason)
        finally:
            account.close()

    def _entries(self, tenant_id: str, addresses: set[str]) -> tuple[list[ActivityEntry], bool]:
        """Entries whose details name one of the addresses, newest first."""
        found: list[ActivityEntry] = []
        with self.uow() as uow:
            activity = uow.scope(tenant_id).activity
            for offset in range(0, ACTIVITY_SCANNED, ACTIVITY_PAGE):
                page = activity.list(limit=ACTIVITY_PAGE, offset=offset)
                found.extend(e for e in page if mentions(e, addresses))
                if len(page) < ACTIVITY_PAGE:
                    return found, False
        return found, True

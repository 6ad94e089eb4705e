"""The state one sync run carries from stage to stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from calendarspots_mailchimp.core.model import (
    Client,
    LedgerEntry,
    MemberStatus,
    SyncCounts,
    Tenant,
)
from calendarspots_mailchimp.core.services.deps import Deps, Journal
from calendarspots_mailchimp.core.services.sync.report import ClientProblem
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, MemberWrite

Progress = Callable[[str, int], None]
ACTIVE = (MemberStatus.SUBSCRIBED, MemberStatus.PENDING)


def no_progress(stage: str, n: int) -> None:
    return None


@dataclass
class Write:
    client: Client
    write: MemberWrite
    existing: bool


@dataclass
class EmailChange:
    client: Client
    old: LedgerEntry


class Run:
    """State of one sync run."""

    def __init__(
        self,
        deps: Deps,
        tenant: Tenant,
        account: MailChimpAccount,
        audience_id: str,
        full: bool,
        dry_run: bool,
        progress: Progress,
        holder: str,
    ) -> None:
        self.deps = deps
        self.tenant = tenant
        self.account = account
        self.audience_id = audience_id
        self.full = full
        self.dry_run = dry_run
        self.progress = progress
        self.holder = holder
        self.counts = SyncCounts()
        self.problems: list[ClientProblem] = []
        self.remote: dict[str, MemberStatus] = {}  # lowercase email -> status read this run
        self.remote_complete = False  # every (unarchived) member is in self.remote
        self.absent: set[str] = set()  # looked up: not in the audience
        self.lookups = 0
        self.seen_ids: set[str] = set()
        self.seen_emails: set[str] = set()
        self.email_changes: list[EmailChange] = []
        self.plan: dict[str, list[str]] = {"create": [], "update": [], "skip": []}
        self.journal = Journal(deps)

    def new_status(self) -> MemberStatus:
        # The help page's step 6: a tenant may choose reconfirmation (double opt-in).
        return MemberStatus.PENDING if self.tenant.double_opt_in else MemberStatus.SUBSCRIBED

    def known(self, key: str, entry: LedgerEntry | None) -> MemberStatus | None:
        return self.remote.get(key) or (entry.member_status if entry else None)

    def refused_before(self, client: Client, entry: LedgerEntry) -> bool:
        """MailChimp refused exactly this content last time: not sent again until it changes
        (it would be refused forever, API-NOTES §4.4)."""
        return (
            bool(entry.last_error) and entry.content_hash == client.content_hash() and not self.full
        )

    def skip(self, client: Client, reason: str) -> None:
        self.counts.skipped += 1
        self.problems.append(ClientProblem(client.client_id, client.email, reason))
        if self.dry_run:
            self.plan["skip"].append(f"{client.email}: {reason}")

    def fail(self, client: Client, reason: str) -> None:
        self.counts.failed += 1
        self.problems.append(ClientProblem(client.client_id, client.email, reason))


def ledger_entry(client: Client, status: MemberStatus | None, error: str = "") -> LedgerEntry:
    """What the ledger remembers of a client after MailChimp answered for its content."""
    return LedgerEntry(client.client_id, client.email, client.content_hash(), status, error)

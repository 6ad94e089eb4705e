"""The state one sync run carries from stage to stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    Client,
    LedgerEntry,
    MemberStatus,
    SyncCounts,
    Tenant,
)
from calendarspots_mailchimp.core.services.sync.report import ClientProblem, Reason
from calendarspots_mailchimp.core.services.tenancy import record
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.clock import Clock
from calendarspots_mailchimp.ports.mailchimp import MailChimpAccount, MemberWrite
from calendarspots_mailchimp.ports.repositories import TenantScope, UnitOfWorkFactory

Progress = Callable[[str, int], None]


def no_progress(stage: str, n: int) -> None:
    return None


@dataclass
class Write:
    client: Client
    write: MemberWrite
    existing: bool
    # It replaces content the plugin pushed before (what the mass-change guard counts); not a
    # member the ledger never knew (an onboarding, or one resumed after a crash).
    rewrite: bool = False


@dataclass
class EmailChange:
    client: Client
    old: LedgerEntry


class DeadlinePassed(Exception):
    """The run passed its deadline: it stops between batches (SyncService)."""


class Run:
    """State of one sync run, and the collaborators its stages use."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        directory: ClientDirectory,
        clock: Clock,
        tenant: Tenant,
        account: MailChimpAccount,
        audience_id: str,
        full: bool,
        dry_run: bool,
        progress: Progress,
    ) -> None:
        self.uow = uow
        self.directory = directory
        self.clock = clock
        self.tenant = tenant
        self.account = account
        self.audience_id = audience_id
        self.full = full
        self.dry_run = dry_run
        self.progress = progress
        self.guarded = False  # the mass-change guard looks at this run's plan
        # An incremental read (reading.py): the ids the directory removed since the marker;
        # None for a full read (then removed = the ledger's ids not seen this run).
        self.removed: frozenset[str] | None = None
        self.gone: set[str] | None = None  # the ledger's ids gone from the platform, once read
        self.members = 0  # how many clients the ledger holds (read with `gone`)
        self.read_known = 0  # clients read this run that the ledger knew
        self.clients_marker = ""  # the directory's marker this run read up to
        self.counts = SyncCounts()
        self.problems: list[ClientProblem] = []
        self.remote: dict[str, MemberStatus] = {}  # lowercase email -> status read this run
        self.remote_complete = False  # every (unarchived) member is in self.remote
        self.absent: set[str] = set()  # looked up: not in the audience
        self.lookups = 0
        self.read_started: datetime | None = None  # when this run's read-back began
        self.written = 0  # members MailChimp created or updated for this run
        self.written_until: datetime | None = None  # the last of them, by MailChimp's clock
        self.deadline: datetime | None = None  # past it, the run stops between batches
        self.stopped = False  # it did: nothing more was sent
        self.seen_ids: set[str] = set()
        self.seen_emails: set[str] = set()
        self.email_changes: list[EmailChange] = []
        # A dry run's plan: addresses to create or update, clients gone from the platform,
        # opt-outs it would bring back ("email status"), the webhook's repair (a code).
        self.plan: dict[str, list[str]] = {"create": [], "update": [], "removed": []}

    def past_deadline(self) -> bool:
        if self.deadline is not None and self.clock.now() >= self.deadline:
            self.stopped = True
        return self.stopped

    def record(self, scope: TenantScope, kind: ActivityKind, **details: Any) -> ActivityEntry:
        return record(scope, self.clock.now(), kind, **details)

    def new_status(self) -> MemberStatus:
        # The help page's step 6: a tenant may choose reconfirmation (double opt-in).
        return MemberStatus.PENDING if self.tenant.double_opt_in else MemberStatus.SUBSCRIBED

    def known(self, key: str, entry: LedgerEntry | None) -> MemberStatus | None:
        return self.remote.get(key) or (entry.member_status if entry else None)

    def refused_before(self, client: Client, entry: LedgerEntry) -> bool:
        """MailChimp refused exactly this content last time: not sent again until it changes
        (it would be refused forever, docs/mailchimp-api.md §4.4)."""
        return (
            bool(entry.last_error) and entry.content_hash == client.content_hash() and not self.full
        )

    def skip(self, client: Client, reason: Reason, detail: str = "") -> None:
        self.counts.skipped += 1
        self.problems.append(ClientProblem(client.client_id, client.email, reason, detail))

    def fail(self, client: Client, reason: Reason, detail: str = "") -> None:
        self.counts.failed += 1
        self.problems.append(ClientProblem(client.client_id, client.email, reason, detail))


def ledger_entry(client: Client, status: MemberStatus | None, error: str = "") -> LedgerEntry:
    """What the ledger remembers of a client after MailChimp answered for its content."""
    return LedgerEntry(client.client_id, client.email, client.content_hash(), status, error)

"""Persistence ports: a Unit of Work and repositories, tenant-scoped where data belongs to a tenant.

A tenant-scoped repository is bound to one tenant id when it is made; it can neither read nor
write another tenant's rows (tested against the real adapter).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)


class TenantRepository(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def add(self, tenant: Tenant) -> None:
        """Raises core.errors.AlreadyExists if the id is taken."""

    def save(self, tenant: Tenant) -> None: ...

    def list(self) -> list[Tenant]: ...

    def note_attention(self, tenant_id: str, expected: str, state: str) -> bool:
        """Stores the attention state the host was told of, only if it still is `expected`
        (so two processes noticing one change tell it once); True when stored. `save` never
        writes that state."""

    def with_pending_webhook_events(self) -> Sequence[str]:
        """The ids of the tenants whose inbox holds events not yet applied."""

    def using_audience(self, audience_id: str) -> Sequence[Tenant]:
        """The tenants whose stored audience is `audience_id` (any state, any account: the
        caller decides which count), by id."""


class TokenStore(Protocol):
    """Encrypted OAuth tokens: this port only ever sees ciphertext."""

    def put(self, ciphertext: bytes) -> None: ...

    def get(self) -> bytes | None: ...

    def delete(self) -> None: ...


class ActivityRepository(Protocol):
    def add(self, entry: ActivityEntry) -> ActivityEntry:
        """Stores the entry; returns it with its entry_id."""

    def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        """Stores the entries, in order, in as few statements as the database allows."""

    def list(
        self, limit: int = 50, offset: int = 0, kinds: Sequence[str] = ()
    ) -> list[ActivityEntry]:
        """Newest first."""

    def count(self, kinds: Sequence[str] = ()) -> int: ...


class SyncRunRepository(Protocol):
    def add(self, run: SyncRun) -> SyncRun:
        """Stores the run; returns it with its run_id."""

    def save(self, run: SyncRun) -> None: ...

    def latest(self, limit: int = 10) -> list[SyncRun]: ...

    def first_id(self) -> int | None:
        """The id of the tenant's first sync run, or None. Ids grow across the whole fleet, so
        of two tenants the one with the smaller id started syncing first."""


class LedgerRepository(Protocol):
    """Per-client memory of what was last pushed to MailChimp (change detection, resumption)."""

    def get_many(self, client_ids: Iterable[str]) -> dict[str, LedgerEntry]: ...

    def find_by_email(self, email: str) -> LedgerEntry | None:
        """Case-insensitive."""

    def member_statuses(self, emails: Iterable[str]) -> dict[str, MemberStatus | None]:
        """Last known member status by lowercase email, for the emails the ledger holds."""

    def all_client_ids(self) -> set[str]: ...

    def count(self) -> int:
        """How many clients the ledger holds."""

    def refused_ids(self) -> set[str]:
        """The clients whose last content MailChimp refused (their entry keeps the error)."""

    def upsert_many(self, entries: Iterable[LedgerEntry]) -> None: ...

    def set_member_status(self, email: str, status: MemberStatus) -> None:
        """Updates the entry whose email matches (case-insensitive), if any."""

    def delete_many(self, client_ids: Iterable[str]) -> None: ...

    def clear(self) -> None: ...


class WebhookInbox(Protocol):
    """Raw webhook events, stored before MailChimp gets its 200 (durability, idempotency)."""

    def add(
        self, idempotency_key: str, received_at: datetime, payload: dict[str, Any]
    ) -> int | None:
        """Stores the event; returns its id, or None when this key was already received."""

    def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]: ...

    def claim(self, event_id: int, now: datetime) -> bool:
        """Takes a pending event for this transaction: True for exactly one caller across
        threads and processes (a concurrent claimer waits for the winner's commit or rollback);
        False if it was applied or claimed by a transaction that committed."""

    def mark_applied(self, event_id: int, applied_at: datetime, outcome: str) -> None: ...

    def add_many(self, events: Sequence[tuple[str, datetime, dict[str, Any]]]) -> list[int | None]:
        """Stores (idempotency_key, received_at, payload) events as add() would, in one
        statement: each one's id, or None for a key already stored or earlier in `events`."""

    def claim_many(self, event_ids: Iterable[int], now: datetime) -> set[int]:
        """Takes those of the events that are still pending for this transaction and returns
        their ids. An event applied, or claimed by a transaction that committed, is left out;
        so is one another open transaction holds (PostgreSQL skips it without waiting; SQLite
        lets one writer at a time): it stays that transaction's."""

    def mark_applied_many(self, outcomes: Mapping[int, str], applied_at: datetime) -> None: ...


class SyncLeases(Protocol):
    """A lease per tenant so two processes never sync one tenant at once."""

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        """True if the lease is free, expired or already held by holder."""

    def release(self, holder: str) -> None: ...

    def holder(self) -> str | None:
        """Who holds (or last held, if expired and not released) the lease."""

    def held_until(self) -> datetime | None:
        """When the current lease expires (past if it expired unreleased); None: no lease."""


class TenantScope(Protocol):
    """Everything that belongs to one tenant, bound to its id."""

    tenant_id: str
    token: TokenStore
    activity: ActivityRepository
    runs: SyncRunRepository
    ledger: LedgerRepository
    inbox: WebhookInbox
    leases: SyncLeases


class OAuthStates(Protocol):
    """Makes each OAuth `state` usable once (a replayed callback is refused)."""

    def use(self, nonce: str, tenant_id: str, expires_at: datetime, now: datetime) -> bool:
        """True the first time a nonce is used; False ever after (until it has expired, when
        the state itself is refused). Forgets nonces that expired before `now`."""


class WebhookBacklog(Protocol):
    """The webhook inbox across every tenant (metrics)."""

    def oldest_unapplied(self) -> datetime | None:
        """When the oldest stored event not applied yet was received; None: none waits."""


class FleetRuns(Protocol):
    """Sync runs across tenants, read-only, for the fleet view (`status`, `/metrics`): each
    method is one query whatever the number of tenants. `tenant_ids`: only those tenants (a
    few: one `status TENANT`); None: every tenant."""

    def latest(
        self, limit: int, tenant_ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, list[SyncRun]]]:
        """Each tenant's `limit` latest runs, newest first, one tenant after another (each
        tenant once; tenants without runs are left out), streamed: consume it inside the unit
        of work. What one query costs grows with the tenants × `limit`, not with the runs
        each tenant has kept."""

    def last_started(
        self,
        kind: SyncKind,
        statuses: Collection[SyncStatus],
        tenant_ids: Sequence[str] | None = None,
    ) -> dict[str, datetime]:
        """When each tenant's latest run of `kind` that ended in one of `statuses` started
        (tenants without one are left out)."""


class UnitOfWork(Protocol):
    """A transaction. Leaving the `with` block without commit() rolls back."""

    tenants: TenantRepository
    oauth_states: OAuthStates
    webhook_backlog: WebhookBacklog
    fleet_runs: FleetRuns

    def scope(self, tenant_id: str) -> TenantScope: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class ClientStore(Protocol):
    """The embedded client directory's write side (CSV import), used when no host plugs one in."""

    def upsert(self, tenant_id: str, clients: Sequence[Client]) -> tuple[int, int]:
        """Insert or update by client_id, else by email (case-insensitive); returns (added, updated)."""

    def all(self, tenant_id: str) -> Iterator[Client]: ...

    def holders(
        self, tenant_id: str, client_ids: Sequence[str], emails: Sequence[str]
    ) -> list[Client]:
        """The stored clients that have one of these ids or addresses (lowercase)."""

    def remove(self, tenant_id: str, client_ids: Sequence[str]) -> int:
        """Removes these clients (unknown ids are ignored); returns how many were removed."""

    def set_newsletter(
        self, tenant_id: str, email: str, status: NewsletterStatus
    ) -> Client | None: ...

"""In-memory fakes for every port, for use cases tested without a database, a network or a
server. tests/contracts runs the same cases against each fake and its real adapter, so a fake
cannot drift from what the real one (or MailChimp, through the simulator) does."""

from __future__ import annotations

import base64
import copy
import itertools
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from calendarspots_mailchimp.core.errors import AlreadyExists, ConfigurationError, NotFound
from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    Client,
    LedgerEntry,
    MemberStatus,
    MergeField,
    NewsletterStatus,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)
from calendarspots_mailchimp.ports.client_directory import ClientChanges
from calendarspots_mailchimp.ports.mailchimp import (
    AccountMetadata,
    AudienceNotFound,
    AudienceSummary,
    BatchResult,
    MailChimpError,
    MemberError,
    MemberErrorKind,
    MemberRejected,
    MemberState,
    MemberWrite,
    TokenRevoked,
    Webhook,
    WebhookSpec,
)

# -- persistence -----------------------------------------------------------------------------


@dataclass
class _InboxRow:
    tenant_id: str
    key: str
    payload: dict[str, Any]
    applied_at: datetime | None = None
    outcome: str = ""
    received_at: datetime | None = None


@dataclass
class FakeState:
    tenants: dict[str, Tenant] = field(default_factory=dict)
    tokens: dict[str, bytes] = field(default_factory=dict)
    activity: dict[int, ActivityEntry] = field(default_factory=dict)
    runs: dict[int, SyncRun] = field(default_factory=dict)
    ledger: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    inbox: dict[int, _InboxRow] = field(default_factory=dict)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    nonces: dict[str, datetime] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class _Scope:
    def __init__(self, uow: FakeUnitOfWork, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.token = _Tokens(uow, tenant_id)
        self.activity = _Activity(uow, tenant_id)
        self.runs = _Runs(uow, tenant_id)
        self.ledger = _Ledger(uow, tenant_id)
        self.inbox = _Inbox(uow, tenant_id)
        self.leases = _Leases(uow, tenant_id)


class _Part:
    def __init__(self, uow: FakeUnitOfWork, tenant_id: str) -> None:
        self._uow, self._tenant_id = uow, tenant_id

    @property
    def state(self) -> FakeState:
        return self._uow.state


class _Tokens(_Part):
    def put(self, ciphertext: bytes) -> None:
        self.state.tokens[self._tenant_id] = ciphertext

    def get(self) -> bytes | None:
        return self.state.tokens.get(self._tenant_id)

    def delete(self) -> None:
        self.state.tokens.pop(self._tenant_id, None)


class _Activity(_Part):
    def add(self, entry: ActivityEntry) -> ActivityEntry:
        assert entry.tenant_id == self._tenant_id, "an entry of another tenant"
        stored = replace(entry, entry_id=self.state.new_id())
        self.state.activity[stored.entry_id or 0] = stored
        self._uow.recorded.append(stored)
        return stored

    def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        for entry in entries:
            self.add(entry)

    def _mine(self, kinds: Sequence[str]) -> list[ActivityEntry]:
        wanted = {str(k) for k in kinds}
        entries = [
            e
            for e in self.state.activity.values()
            if e.tenant_id == self._tenant_id and (not wanted or str(e.kind) in wanted)
        ]
        return sorted(entries, key=lambda e: e.entry_id or 0, reverse=True)

    def list(
        self, limit: int = 50, offset: int = 0, kinds: Sequence[str] = ()
    ) -> list[ActivityEntry]:
        return self._mine(kinds)[offset : offset + limit]

    def count(self, kinds: Sequence[str] = ()) -> int:
        return len(self._mine(kinds))


class _Runs(_Part):
    def add(self, run: SyncRun) -> SyncRun:
        stored = replace(run, run_id=self.state.new_id())
        self.state.runs[stored.run_id or 0] = copy.copy(stored)
        return stored

    def save(self, run: SyncRun) -> None:
        if run.run_id is None or run.run_id not in self.state.runs:
            raise NotFound(f"sync run {run.run_id} does not exist")
        self.state.runs[run.run_id] = copy.copy(run)

    def first_id(self) -> int | None:
        mine = [r.run_id or 0 for r in self.state.runs.values() if r.tenant_id == self._tenant_id]
        return min(mine, default=None)

    def latest(self, limit: int = 10) -> list[SyncRun]:
        mine = [r for r in self.state.runs.values() if r.tenant_id == self._tenant_id]
        return [copy.copy(r) for r in sorted(mine, key=lambda r: r.run_id or 0, reverse=True)][
            :limit
        ]


class _Ledger(_Part):
    def _mine(self) -> dict[str, LedgerEntry]:
        return {cid: e for (t, cid), e in self.state.ledger.items() if t == self._tenant_id}

    def get_many(self, client_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        mine = self._mine()
        return {cid: mine[cid] for cid in client_ids if cid in mine}

    def find_by_email(self, email: str) -> LedgerEntry | None:
        key = email.strip().lower()
        return next((e for e in self._mine().values() if e.email.lower() == key), None)

    def member_statuses(self, emails: Iterable[str]) -> dict[str, MemberStatus | None]:
        by_email = {e.email.lower(): e.member_status for e in self._mine().values()}
        return {m.lower(): by_email[m.lower()] for m in emails if m.lower() in by_email}

    def all_client_ids(self) -> set[str]:
        return set(self._mine())

    def count(self) -> int:
        return len(self._mine())

    def refused_ids(self) -> set[str]:
        return {cid for cid, entry in self._mine().items() if entry.last_error}

    def upsert_many(self, entries: Iterable[LedgerEntry]) -> None:
        for entry in entries:
            self.state.ledger[(self._tenant_id, entry.client_id)] = entry

    def set_member_status(self, email: str, status: MemberStatus) -> None:
        key = email.strip().lower()
        for cid, entry in self._mine().items():
            if entry.email.lower() == key:
                self.state.ledger[(self._tenant_id, cid)] = replace(entry, member_status=status)

    def delete_many(self, client_ids: Iterable[str]) -> None:
        for cid in client_ids:
            self.state.ledger.pop((self._tenant_id, cid), None)

    def clear(self) -> None:
        self.delete_many(list(self._mine()))


class _Inbox(_Part):
    def add(
        self, idempotency_key: str, received_at: datetime, payload: dict[str, Any]
    ) -> int | None:
        for row in self.state.inbox.values():
            if row.tenant_id == self._tenant_id and row.key == idempotency_key:
                return None
        event_id = self.state.new_id()
        self.state.inbox[event_id] = _InboxRow(
            self._tenant_id, idempotency_key, dict(payload), received_at=received_at
        )
        return event_id

    def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        rows = sorted(
            (i, r)
            for i, r in self.state.inbox.items()
            if r.tenant_id == self._tenant_id and r.applied_at is None
        )
        return [(i, dict(r.payload)) for i, r in rows[:limit]]

    def claim(self, event_id: int, now: datetime) -> bool:
        row = self.state.inbox.get(event_id)
        if row is None or row.tenant_id != self._tenant_id or row.applied_at is not None:
            return False
        row.applied_at, row.outcome = now, "applying"
        return True

    def mark_applied(self, event_id: int, applied_at: datetime, outcome: str) -> None:
        row = self.state.inbox[event_id]
        row.applied_at, row.outcome = applied_at, outcome

    def add_many(self, events: Sequence[tuple[str, datetime, dict[str, Any]]]) -> list[int | None]:
        return [self.add(key, at, payload) for key, at, payload in events]

    def claim_many(self, event_ids: Iterable[int], now: datetime) -> set[int]:
        return {event_id for event_id in set(event_ids) if self.claim(event_id, now)}

    def mark_applied_many(self, outcomes: Mapping[int, str], applied_at: datetime) -> None:
        for event_id, outcome in outcomes.items():
            self.mark_applied(event_id, applied_at, outcome)


class _Leases(_Part):
    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        current = self.state.leases.get(self._tenant_id)
        if current is None or current[1] <= now or current[0] == holder:
            self.state.leases[self._tenant_id] = (holder, until)
            return True
        return False

    def release(self, holder: str) -> None:
        if self.state.leases.get(self._tenant_id, ("", None))[0] == holder:
            del self.state.leases[self._tenant_id]

    def holder(self) -> str | None:
        current = self.state.leases.get(self._tenant_id)
        return current[0] if current else None

    def held_until(self) -> datetime | None:
        current = self.state.leases.get(self._tenant_id)
        return current[1] if current else None


class _Tenants:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def get(self, tenant_id: str) -> Tenant | None:
        return self._uow.state.tenants.get(tenant_id)

    def add(self, tenant: Tenant) -> None:
        if tenant.tenant_id in self._uow.state.tenants:
            raise AlreadyExists(
                f"tenant {tenant.tenant_id!r} already exists",
                code="tenant_exists",
                facts={"tenant": tenant.tenant_id},
            )
        self._uow.state.tenants[tenant.tenant_id] = tenant

    def save(self, tenant: Tenant) -> None:
        stored = self._uow.state.tenants.get(tenant.tenant_id)
        if stored is None:
            raise NotFound(f"no tenant {tenant.tenant_id!r}")
        notified = stored.attention_notified  # only note_attention writes it
        self._uow.state.tenants[tenant.tenant_id] = replace(tenant, attention_notified=notified)

    def list(self) -> list[Tenant]:
        return list(self._uow.state.tenants.values())

    def note_attention(self, tenant_id: str, expected: str, state: str) -> bool:
        stored = self._uow.state.tenants.get(tenant_id)
        if stored is None or stored.attention_notified != expected:
            return False
        self._uow.state.tenants[tenant_id] = replace(stored, attention_notified=state)
        return True

    def with_pending_webhook_events(self) -> Sequence[str]:
        return sorted({r.tenant_id for r in self._uow.state.inbox.values() if r.applied_at is None})

    def using_audience(self, audience_id: str) -> Sequence[Tenant]:
        tenants = self._uow.state.tenants.values()
        return sorted(
            (t for t in tenants if audience_id and t.audience_id == audience_id),
            key=lambda t: t.tenant_id,
        )


class _OAuthStates:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def use(self, nonce: str, tenant_id: str, expires_at: datetime, now: datetime) -> bool:
        nonces = self._uow.state.nonces
        for old in [n for n, at in nonces.items() if at < now]:
            del nonces[old]
        if nonce in nonces:
            return False
        nonces[nonce] = expires_at
        return True


class FakeDatabase:
    """The whole store; `uow` is its UnitOfWorkFactory. A unit of work holds the store's lock
    from `with` to its end (writers are serialised, as SQLite does) and works on a copy that
    commit() keeps and anything else throws away."""

    def __init__(self, published: Callable[[ActivityEntry], None] | None = None) -> None:
        self.state = FakeState()
        self.lock = threading.RLock()
        self.published = published or (lambda entry: None)

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class _Backlog:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def oldest_unapplied(self) -> datetime | None:
        waiting = [
            r.received_at
            for r in self._uow.state.inbox.values()
            if r.applied_at is None and r.received_at is not None
        ]
        return min(waiting, default=None)


class _FleetRuns:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _by_tenant(self, tenant_ids: Sequence[str] | None) -> dict[str, list[SyncRun]]:
        """Each tenant's runs, newest first, for the tenants asked for that exist."""
        known = set(self._uow.state.tenants)
        wanted = known if tenant_ids is None else known & set(tenant_ids)
        runs: dict[str, list[SyncRun]] = {}
        for run in sorted(self._uow.state.runs.values(), key=lambda r: r.run_id or 0):
            if run.tenant_id in wanted:
                runs.setdefault(run.tenant_id, []).insert(0, copy.copy(run))
        return runs

    def latest(
        self, limit: int, tenant_ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, list[SyncRun]]]:
        for tenant_id, runs in sorted(self._by_tenant(tenant_ids).items()):
            if limit > 0:
                yield tenant_id, runs[:limit]

    def last_started(
        self,
        kind: SyncKind,
        statuses: Collection[SyncStatus],
        tenant_ids: Sequence[str] | None = None,
    ) -> dict[str, datetime]:
        found = {}
        for tenant_id, runs in self._by_tenant(tenant_ids).items():
            started = [r.started_at for r in runs if r.kind == kind and r.status in statuses]
            if started:
                found[tenant_id] = started[0]
        return found


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self.recorded: list[ActivityEntry] = []
        self.tenants = _Tenants(self)
        self.oauth_states = _OAuthStates(self)
        self.webhook_backlog = _Backlog(self)
        self.fleet_runs = _FleetRuns(self)
        self._working: FakeState | None = None

    @property
    def state(self) -> FakeState:
        if self._working is None:
            raise RuntimeError("use the unit of work inside `with`")
        return self._working

    def __enter__(self) -> Self:
        self._database.lock.acquire()
        self._working = copy.deepcopy(self._database.state)
        self.recorded = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None
        self.recorded = []
        self._database.lock.release()

    def scope(self, tenant_id: str) -> _Scope:
        return _Scope(self, tenant_id)

    def commit(self) -> None:
        self._database.state = copy.deepcopy(self.state)
        recorded, self.recorded = self.recorded, []
        for entry in recorded:
            self._database.published(entry)

    def rollback(self) -> None:
        self._working = copy.deepcopy(self._database.state)
        self.recorded = []


# -- the client directory ----------------------------------------------------------------------


class FakeClientDirectory:
    """Both the directory port and the embedded store's write side."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Client]] = {}
        # ChangeFeed: the marker n is the n-th snapshot of a tenant's rows taken by `changes`,
        # so tests may edit `rows` directly and the next read still sees what changed.
        self.snapshots: dict[str, list[dict[str, Client]]] = {}
        self.change_reads = 0

    def clients(self, tenant_id: str, changed_since: datetime | None = None) -> Iterator[Client]:
        yield from list(self.rows.get(tenant_id, {}).values())

    def changes(self, tenant_id: str, since: str | None) -> ClientChanges | None:
        self.change_reads += 1
        rows = dict(self.rows.get(tenant_id, {}))
        snapshots = self.snapshots.setdefault(tenant_id, [])
        if since is None:
            changed, removed = list(rows.values()), frozenset[str]()
        elif not since.isdigit() or int(since) >= len(snapshots):
            return None
        else:
            before = snapshots[int(since)]
            changed = [c for cid, c in rows.items() if before.get(cid) != c]
            removed = frozenset(cid for cid in before if cid not in rows)
        snapshots.append(rows)
        return ClientChanges(str(len(snapshots) - 1), iter(changed), removed)

    def remove(self, tenant_id: str, client_ids: Sequence[str]) -> int:
        rows = self.rows.get(tenant_id, {})
        return sum(rows.pop(cid, None) is not None for cid in dict.fromkeys(client_ids))

    def find(self, tenant_id: str, key: str) -> Client | None:
        rows = self.rows.get(tenant_id, {})
        if key in rows:
            return rows[key]
        wanted = key.strip().lower()
        return next((c for c in rows.values() if c.email.lower() == wanted), None)

    def find_many(self, tenant_id: str, client_ids: Iterable[str]) -> dict[str, Client]:
        rows = self.rows.get(tenant_id, {})
        return {i: rows[i] for i in set(client_ids) if i in rows}

    def _mark(self, tenant_id: str, email: str, status: NewsletterStatus) -> Client | None:
        rows = self.rows.get(tenant_id, {})
        for client_id, client in rows.items():
            if client.email.lower() == email.strip().lower():
                rows[client_id] = replace(client, newsletter=status)
                return rows[client_id]
        return None

    def mark_unsubscribed(self, tenant_id: str, email: str) -> Client | None:
        return self._mark(tenant_id, email, NewsletterStatus.UNSUBSCRIBED)

    def mark_cleaned(self, tenant_id: str, email: str) -> Client | None:
        return self._mark(tenant_id, email, NewsletterStatus.CLEANED)

    def upsert(self, tenant_id: str, clients: Sequence[Client]) -> tuple[int, int]:
        rows = self.rows.setdefault(tenant_id, {})
        added = updated = 0
        for client in clients:
            by_email = next(
                (c for c in rows.values() if c.email.lower() == client.email.lower()), None
            )
            client_id = client.client_id or (by_email.client_id if by_email else client.email)
            if client_id in rows or by_email is not None:
                updated += 1
            else:
                added += 1
            rows[client_id] = replace(client, client_id=client_id)
        return added, updated

    def all(self, tenant_id: str) -> Iterator[Client]:
        yield from list(self.rows.get(tenant_id, {}).values())

    def holders(
        self, tenant_id: str, client_ids: Sequence[str], emails: Sequence[str]
    ) -> list[Client]:
        ids, lowered = set(client_ids), set(emails)
        rows = self.rows.get(tenant_id, {}).values()
        return [c for c in rows if c.client_id in ids or c.email.lower() in lowered]

    def set_newsletter(self, tenant_id: str, email: str, status: NewsletterStatus) -> Client | None:
        return self._mark(tenant_id, email, status)


# -- secrets and time --------------------------------------------------------------------------


class FakeSecretBox:
    """Reversible, and visibly not the plaintext."""

    def __init__(self, key: str = "test-key") -> None:
        self.key = key

    def encrypt(self, plaintext: str) -> bytes:
        return b"box:" + base64.b64encode(f"{self.key}\x00{plaintext}".encode())

    def decrypt(self, ciphertext: bytes) -> str:
        key, _, plaintext = (
            base64.b64decode(ciphertext.removeprefix(b"box:")).decode().partition("\x00")
        )
        if key != self.key:
            raise ConfigurationError("stored token cannot be decrypted with this key")
        return plaintext


class TickingClock:
    """A clock that moves one millisecond each time it is read, from a fixed start."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


# -- MailChimp ---------------------------------------------------------------------------------

OPTED_OUT = (MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED)


@dataclass
class FakeAudience:
    audience_id: str
    name: str
    fields: dict[str, MergeField] = field(default_factory=dict)
    members: dict[str, MemberState] = field(default_factory=dict)  # by lowercase email
    webhooks: dict[str, Webhook] = field(default_factory=dict)


@dataclass
class FakeMailChimpAccount:
    """One MailChimp account, as MailChimp behaves for the calls the plugin makes."""

    account_id_: str
    name: str
    audiences_: dict[str, FakeAudience] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    calls: int = 0
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def api_calls(self) -> int:
        return self.calls

    def _call(self) -> None:
        self.calls += 1

    def _audience(self, audience_id: str) -> FakeAudience:
        self._call()
        found = self.audiences_.get(audience_id)
        if found is None:
            raise AudienceNotFound(
                404, "Resource Not Found", "The requested resource could not be found."
            )
        return found

    def account_id(self) -> str:
        self._call()
        return self.account_id_

    def audiences(self) -> list[AudienceSummary]:
        self._call()
        return [
            AudienceSummary(a.audience_id, a.name, len(a.members)) for a in self.audiences_.values()
        ]

    def merge_fields(self, audience_id: str) -> list[MergeField]:
        return list(self._audience(audience_id).fields.values())

    def create_merge_field(self, audience_id: str, merge_field: MergeField) -> MergeField:
        audience = self._audience(audience_id)
        if merge_field.tag in audience.fields:
            raise MailChimpError(400, "Invalid Resource", f"tag {merge_field.tag} exists")
        audience.fields[merge_field.tag] = merge_field
        return merge_field

    def members(
        self,
        audience_id: str,
        status: MemberStatus | None = None,
        since_last_changed: datetime | None = None,
    ) -> Iterator[MemberState]:
        audience = self._audience(audience_id)
        for member in list(audience.members.values()):
            if member.status == MemberStatus.ARCHIVED:
                continue  # listed only when asked for (docs/mailchimp-api.md §4.3)
            if status is not None and member.status != status:
                continue
            if since_last_changed is not None and (
                member.last_changed is None or member.last_changed < since_last_changed
            ):
                continue
            yield member

    def _write(self, audience: FakeAudience, write: MemberWrite, status_if_new: bool) -> str:
        key = write.email.lower()
        existing = audience.members.get(key)
        now = self.clock()
        merges = {k: v for k, v in write.merge_fields.items() if v}
        if existing is not None and existing.status != MemberStatus.ARCHIVED:
            status = existing.status if status_if_new else write.status
            if existing.status in OPTED_OUT and status in (
                MemberStatus.SUBSCRIBED,
                MemberStatus.PENDING,
            ):
                raise _compliance(write.email)
            merged = {**existing.merge_fields, **write.merge_fields}
            audience.members[key] = replace(
                existing, status=status, merge_fields=merged, last_changed=now
            )
            return "updated"
        audience.members[key] = MemberState(write.email, write.status, now, merges)
        return "created"

    def batch_subscribe(
        self, audience_id: str, batches: Iterable[Sequence[MemberWrite]]
    ) -> Iterator[tuple[Sequence[MemberWrite], BatchResult]]:
        for batch in batches:
            audience = self._audience(audience_id)
            assert len(batch) <= 500, "MailChimp takes up to 500 members per call"
            created: list[str] = []
            updated: list[str] = []
            errors: list[MemberError] = []
            for write in batch:
                try:
                    outcome = self._write(audience, write, status_if_new=False)
                except MemberRejected as refused:
                    errors.append(refused.error)
                    continue
                (created if outcome == "created" else updated).append(write.email)
            written = self.clock() if created or updated else None
            yield batch, BatchResult(tuple(created), tuple(updated), tuple(errors), (), written)

    def upsert_member(self, audience_id: str, member: MemberWrite) -> MemberState:
        audience = self._audience(audience_id)
        self._write(audience, member, status_if_new=True)
        return audience.members[member.email.lower()]

    def change_email(
        self, audience_id: str, old_email: str, new_email: str, merge_fields: dict[str, str]
    ) -> MemberState:
        audience = self._audience(audience_id)
        old = audience.members.get(old_email.lower())
        if old is None:
            raise MailChimpError(
                404, "Resource Not Found", "The requested resource could not be found."
            )
        if new_email.lower() in audience.members:
            error = MemberError(
                new_email, MemberErrorKind.EXISTS, f"{new_email} is already a list member"
            )
            raise MemberRejected(400, "Member Exists", error.message, error)
        del audience.members[old_email.lower()]
        moved = replace(
            old,
            email=new_email,
            merge_fields={**old.merge_fields, **merge_fields},
            last_changed=self.clock(),
        )
        audience.members[new_email.lower()] = moved
        return moved

    def archive_member(self, audience_id: str, email: str) -> None:
        audience = self._audience(audience_id)
        member = audience.members.get(email.lower())
        if member is None or member.status == MemberStatus.ARCHIVED:
            error = MemberError(
                email, MemberErrorKind.OTHER, "The requested resource could not be found."
            )
            raise MemberRejected(404, "Resource Not Found", error.message, error)
        audience.members[email.lower()] = replace(
            member, status=MemberStatus.ARCHIVED, last_changed=self.clock()
        )

    def get_member(self, audience_id: str, email: str) -> MemberState | None:
        return self._audience(audience_id).members.get(email.lower())

    def webhooks(self, audience_id: str) -> list[Webhook]:
        return list(self._audience(audience_id).webhooks.values())

    def create_webhook(self, audience_id: str, spec: WebhookSpec) -> Webhook:
        audience = self._audience(audience_id)
        if any(h.url == spec.url for h in audience.webhooks.values()):
            raise MailChimpError(
                400, "Invalid Resource", "Sorry, you can't use the same webhook URL twice."
            )
        hook = Webhook(
            f"wh{len(audience.webhooks) + 1}{audience_id}", spec.url, spec.events, spec.sources
        )
        audience.webhooks[hook.webhook_id] = hook
        return hook

    def update_webhook(self, audience_id: str, webhook_id: str, spec: WebhookSpec) -> Webhook:
        audience = self._audience(audience_id)
        if webhook_id not in audience.webhooks:
            raise MailChimpError(
                404, "Resource Not Found", "The requested resource could not be found."
            )
        hook = Webhook(webhook_id, spec.url, spec.events, spec.sources)
        audience.webhooks[webhook_id] = hook
        return hook

    def delete_webhook(self, audience_id: str, webhook_id: str) -> None:
        audience = self._audience(audience_id)
        if audience.webhooks.pop(webhook_id, None) is None:
            raise MailChimpError(
                404, "Resource Not Found", "The requested resource could not be found."
            )

    def close(self) -> None:
        return None


def _compliance(email: str) -> MemberRejected:
    error = MemberError(
        email,
        MemberErrorKind.COMPLIANCE_STATE,
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review and "
        "cannot be subscribed.",
    )
    return MemberRejected(400, "Member In Compliance State", error.message, error)


class FakeMailChimp:
    """The connector and its OAuth: accounts by token, codes approved by the fake owner."""

    API_ENDPOINT = "https://us1.api.mailchimp.test"

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.accounts: dict[str, FakeMailChimpAccount] = {}
        self.codes: dict[str, str] = {}  # code -> account id
        self._ids = itertools.count(1)
        self.approving: str = ""  # the account the owner logs into on the authorize page

    @property
    def oauth(self) -> FakeMailChimp:
        return self

    def add_account(self, name: str = "Salon Belle") -> FakeMailChimpAccount:
        account = FakeMailChimpAccount(f"acct{next(self._ids)}", name, clock=self.clock)
        self.accounts[account.account_id_] = account
        self.approving = account.account_id_
        return account

    def add_audience(
        self, account: FakeMailChimpAccount, name: str = "calendarspots", birthday: bool = True
    ) -> FakeAudience:
        audience = FakeAudience(f"list{next(self._ids)}", name)
        audience.fields = {  # a new MailChimp audience's default fields
            "FNAME": MergeField("FNAME", "First Name", type="text"),
            "LNAME": MergeField("LNAME", "Last Name", type="text"),
            "ADDRESS": MergeField("ADDRESS", "Address", type="address"),
            "PHONE": MergeField("PHONE", "Phone Number", type="phone"),
        }
        if birthday:
            audience.fields["BIRTHDAY"] = MergeField("BIRTHDAY", "Birthday", type="birthday")
        account.audiences_[audience.audience_id] = audience
        return audience

    def issue_token(self, account: FakeMailChimpAccount) -> str:
        token = f"token-{next(self._ids)}-{account.account_id_}"
        account.tokens.add(token)
        return token

    # MailChimpOAuth
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        return f"https://login.mailchimp.test/oauth2/authorize?state={state}"

    def approve(self) -> str:
        """The owner approves on MailChimp's page: the code the callback receives."""
        code = f"code-{next(self._ids)}"
        self.codes[code] = self.approving
        return code

    def exchange_code(self, code: str, redirect_uri: str) -> str:
        account_id = self.codes.pop(code, None)
        if account_id is None:
            raise MailChimpError(400, "invalid_grant", "Invalid authorization code")
        return self.issue_token(self.accounts[account_id])

    def _by_token(self, token: str) -> FakeMailChimpAccount:
        for account in self.accounts.values():
            if token in account.tokens:
                return account
        raise TokenRevoked(
            401,
            "API Key Invalid",
            "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        )

    def metadata(self, access_token: str) -> AccountMetadata:
        account = self._by_token(access_token)
        return AccountMetadata("us1", self.API_ENDPOINT, account.name, "owner@example.com")

    def revoke(self, account: FakeMailChimpAccount) -> None:
        account.tokens.clear()

    # MailChimpConnector
    def account(
        self, api_endpoint: str, access_token: str, account_id: str = ""
    ) -> FakeMailChimpAccount | _Revoked:
        try:
            return self._by_token(access_token)
        except TokenRevoked:
            return _Revoked()


class _Revoked:
    """What an account whose token was revoked answers to every call: 401."""

    api_calls = 0

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            if name == "close":
                return None
            raise TokenRevoked(401, "API Key Invalid", "Your API key may be invalid.")

        return refuse

"""The sync: contract and watchdog first, then opt-outs back from MailChimp, then only what
changed, in batches (R1, R2, R5, R6, R7, R10; SPEC "What a sync sends").

Crash safety: the ledger is written batch by batch, each batch in its own transaction, only
after MailChimp acknowledged it. A run killed half-way leaves acknowledged batches recorded and
the rest unrecorded; the next run sends the rest. A batch acknowledged but not recorded is sent
again — harmless, because batch subscribe keys members by address and update_existing re-applies
the same values (no duplicate member can appear).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendarspots_mailchimp.core.errors import (
    AudienceContractError,
    CalendarspotsError,
    NotConnected,
    SyncInProgress,
)
from calendarspots_mailchimp.core.model import (
    ActivityKind,
    Audience,
    Client,
    ConnectionState,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    SyncCounts,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
    is_valid_email,
)
from calendarspots_mailchimp.core.services import audience as contract
from calendarspots_mailchimp.core.services.deps import Deps, Journal, get_tenant, open_account
from calendarspots_mailchimp.core.services.inbound import InboundService
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    BatchResult,
    MailChimpAccount,
    MailChimpError,
    MemberError,
    MemberErrorKind,
    MemberRejected,
    MemberWrite,
    TokenRevoked,
)
from calendarspots_mailchimp.ports.repositories import TenantScope

BATCH_SIZE = 500  # MailChimp's batch subscribe cap (API-NOTES §5.1)
LEASE_TTL = timedelta(minutes=30)
# Members changed in MailChimp are read back from a little before the last check, so a clock
# skew between us and MailChimp cannot hide an opt-out.
BACKFILL_MARGIN = timedelta(minutes=10)
MAX_DETAILS = 50  # per-client problems kept in one activity entry
# Members unknown to the ledger are looked up one by one up to this many per run; beyond it,
# reading the whole audience (1,000 members a call) is cheaper.
LOOKUP_LIMIT = 25
_ACTIVE = (MemberStatus.SUBSCRIBED, MemberStatus.PENDING)
# Members MailChimp lets us archive (not cleaned, pending or archived: API-NOTES §4.3).
_ARCHIVABLE = (MemberStatus.SUBSCRIBED, MemberStatus.UNSUBSCRIBED, MemberStatus.TRANSACTIONAL)
# Refusals of an address itself: moving a member there cannot work either.
_ADDRESS_REFUSALS = (
    MemberErrorKind.FAKE_OR_INVALID,
    MemberErrorKind.FORGOTTEN,
    MemberErrorKind.MERGE_FIELDS,
)

Progress = Callable[[str, int], None]


def _no_progress(stage: str, n: int) -> None:
    return None


@dataclass
class ClientProblem:
    client_id: str
    email: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"client_id": self.client_id, "email": self.email, "reason": self.reason}


@dataclass
class SyncReport:
    tenant_id: str
    kind: SyncKind
    status: SyncStatus
    counts: SyncCounts
    message: str
    dry_run: bool = False
    api_calls: int = 0
    problems: list[ClientProblem] = field(default_factory=list)
    plan: dict[str, list[str]] = field(default_factory=dict)
    failure: str = ""  # why a failed run failed: "contract", "revoked" or "mailchimp"

    @property
    def ok(self) -> bool:
        return self.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tenant": self.tenant_id,
            "kind": str(self.kind),
            "status": str(self.status),
            "dry_run": self.dry_run,
            "counts": self.counts.as_dict(),
            "message": self.message,
            "api_calls": self.api_calls,
            "problems": [p.as_dict() for p in self.problems[:MAX_DETAILS]],
        }
        if self.failure:
            data["failure"] = self.failure
        if self.dry_run:
            data["plan"] = self.plan
        return data


@dataclass
class _Write:
    client: Client
    write: MemberWrite
    existing: bool


@dataclass
class _EmailChange:
    client: Client
    old: LedgerEntry


class _Run:
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
        self.email_changes: list[_EmailChange] = []
        self.plan: dict[str, list[str]] = {"create": [], "update": [], "skip": []}
        self.journal = Journal(deps)

    # -- R7 backfill -------------------------------------------------------------------------
    def backfill(self, since: datetime | None) -> datetime:
        """Reads members MailChimp changed since `since` (all members when None) and applies
        opt-outs to the client directory. Returns the time to remember for the next run."""
        started = self.deps.clock.now()
        after = None if since is None else since - BACKFILL_MARGIN
        self.remote_complete = after is None
        changed: list[tuple[str, MemberStatus]] = []
        for member in self.account.members(self.audience_id, since_last_changed=after):
            key = member.email.lower()
            self.remote[key] = member.status
            changed.append((key, member.status))
        if self.dry_run or not changed:
            return started
        opted_out = [(email, status) for email, status in changed if status.opted_out]
        with self.deps.uow() as uow:
            ledger = uow.scope(self.tenant.tenant_id).ledger
            known = {email: ledger.find_by_email(email) for email, _ in opted_out}
        # The client directory may be the same database: it is written outside our unit of
        # work, never while that holds a write transaction.
        marked = [(email, status, self._mark(email, status)) for email, status in opted_out]
        with self.deps.uow() as uow:
            scope = uow.scope(self.tenant.tenant_id)
            for email, status, client in marked:
                self._tell(scope, email, status, client, known[email])
            # Keep the ledger's view current (pending -> subscribed after a confirmation,
            # opt-outs): the status re-sent for an existing member must be its own. Members
            # that only echo our own writes (the night after onboarding: all of them) already
            # match and cost one bulk read, not one update each.
            recorded = scope.ledger.member_statuses(email for email, _ in changed)
            for email, status in changed:
                if email in recorded and recorded[email] != status:
                    scope.ledger.set_member_status(email, status)
            uow.commit()
        self.journal.published()
        return started

    def _mark(self, email: str, status: MemberStatus) -> Client | None:
        if status == MemberStatus.UNSUBSCRIBED:
            return self.deps.directory.mark_unsubscribed(self.tenant.tenant_id, email)
        return self.deps.directory.mark_cleaned(self.tenant.tenant_id, email)

    def _tell(
        self,
        scope: TenantScope,
        email: str,
        status: MemberStatus,
        client: Client | None,
        known: LedgerEntry | None,
    ) -> None:
        if client is None or (known is not None and known.member_status == status):
            return  # not our client, or already known: nothing new to tell
        unsubscribed = status == MemberStatus.UNSUBSCRIBED
        if unsubscribed:
            self.counts.unsubscribed += 1
        else:
            self.counts.cleaned += 1
        self.journal.record(
            scope,
            ActivityKind.CONTACT_UNSUBSCRIBED if unsubscribed else ActivityKind.CONTACT_CLEANED,
            f"{email} {'unsubscribed' if unsubscribed else 'was cleaned (invalid address)'} in "
            "MailChimp; the client database was updated (found by the sync).",
            email=email,
            client_id=client.client_id,
            source="sync",
        )

    # -- planning ----------------------------------------------------------------------------
    def _new_status(self) -> MemberStatus:
        # The help page's step 6: a tenant may choose reconfirmation (double opt-in).
        return MemberStatus.PENDING if self.tenant.double_opt_in else MemberStatus.SUBSCRIBED

    def _skip(self, client: Client, reason: str) -> None:
        self.counts.skipped += 1
        self.problems.append(ClientProblem(client.client_id, client.email, reason))
        if self.dry_run:
            self.plan["skip"].append(f"{client.email}: {reason}")

    def plan_chunk(self, chunk: Sequence[Client]) -> list[_Write]:
        with self.deps.uow() as uow:
            ledger = uow.scope(self.tenant.tenant_id).ledger.get_many(c.client_id for c in chunk)
        candidates: list[tuple[Client, LedgerEntry | None]] = []
        unknown: list[str] = []
        for client in chunk:
            self.seen_ids.add(client.client_id)
            email = client.email.strip()
            key = email.lower()
            if not is_valid_email(email):
                self._skip(client, "invalid email address")
                continue
            if key in self.seen_emails:
                self._skip(client, "another client has the same email address")
                continue
            self.seen_emails.add(key)
            entry = ledger.get(client.client_id)
            if entry is not None and entry.email.lower() != key:
                if self._refused_before(client, entry):
                    self.counts.unchanged += 1
                else:
                    self.email_changes.append(_EmailChange(client, entry))
                continue
            candidates.append((client, entry))
            if self._needs_lookup(client, entry, key):
                unknown.append(key)
        self._look_up(unknown)
        writes: list[_Write] = []
        for client, entry in candidates:
            write = self._plan_one(client, entry)
            if write is not None:
                writes.append(write)
        return writes

    def _refused_before(self, client: Client, entry: LedgerEntry) -> bool:
        """MailChimp refused exactly this content last time: not sent again until it changes
        (it would be refused forever, API-NOTES §4.4)."""
        return (
            bool(entry.last_error) and entry.content_hash == client.content_hash() and not self.full
        )

    def _known(self, key: str, entry: LedgerEntry | None) -> MemberStatus | None:
        return self.remote.get(key) or (entry.member_status if entry else None)

    def _needs_lookup(self, client: Client, entry: LedgerEntry | None, key: str) -> bool:
        """A client about to be sent whose member status nobody knows: batch subscribe with
        update_existing sets the status it is given (API-NOTES §5.1), so sending a guess could
        turn a pending member into a subscribed one, or a subscribed one into pending."""
        if self.remote_complete or key in self.absent or self._known(key, entry) is not None:
            return False
        if client.newsletter != NewsletterStatus.SUBSCRIBED:
            return False  # not sent at all while its status is unknown
        return entry is None or not self._refused_before(client, entry)

    def _look_up(self, keys: list[str]) -> None:
        """Learns the status of members unknown to the ledger: one GET each for a few, one read
        of the whole audience (1,000 a page) for many."""
        keys = [k for k in dict.fromkeys(keys) if k not in self.remote and k not in self.absent]
        if not keys or self.remote_complete:
            return
        if self.lookups + len(keys) > LOOKUP_LIMIT:
            for member in self.account.members(self.audience_id):
                self.remote.setdefault(member.email.lower(), member.status)
            self.remote_complete = True
            return
        for key in keys:
            self.lookups += 1
            state = self.account.get_member(self.audience_id, key)
            if state is None:
                self.absent.add(key)
            else:
                self.remote[key] = state.status

    def _plan_one(self, client: Client, entry: LedgerEntry | None) -> _Write | None:
        email = client.email.strip()
        known = self._known(email.lower(), entry)
        if known is not None and known.opted_out:
            # R10: never re-subscribed; names are not pushed either (a cleaned member
            # cannot be edited at all, API-NOTES §4.3).
            if entry is None or entry.content_hash != client.content_hash() or self.full:
                self._skip(client, f"{known.value} in MailChimp: never re-subscribed")
            else:
                self.counts.unchanged += 1
            return None
        if client.newsletter != NewsletterStatus.SUBSCRIBED:
            if known in _ACTIVE:
                # The platform says this client opted out: carry it to MailChimp.
                return _Write(
                    client,
                    MemberWrite(email, MemberStatus.UNSUBSCRIBED, client.merge_fields()),
                    True,
                )
            if entry is None or entry.content_hash != client.content_hash():
                self._skip(client, f"{client.newsletter.value} in the client database")
            else:
                self.counts.unchanged += 1
            return None
        unchanged = (
            entry is not None
            and entry.content_hash == client.content_hash()
            and (entry.member_status is not None or bool(entry.last_error))
        )
        if unchanged and not self.full:
            self.counts.unchanged += 1
            return None
        # An active member keeps its own status: the sync never changes consent. Anyone else
        # (new, archived, transactional) gets what a new contact gets (R10).
        status = known if known in _ACTIVE and known is not None else self._new_status()
        existing = known is not None and known != MemberStatus.ARCHIVED
        return _Write(client, MemberWrite(email, status, client.merge_fields()), existing)

    # -- pushing -----------------------------------------------------------------------------
    def record_batch(self, writes: Sequence[_Write], result: BatchResult) -> None:
        by_email = {w.write.email.lower(): w for w in writes}
        created = {e.lower() for e in result.created}
        updated = {e.lower() for e in result.updated}
        errors = {e.email.lower(): e for e in result.errors}
        entries: list[LedgerEntry] = []
        opt_outs: list[tuple[str, MemberStatus]] = []
        for key, w in by_email.items():
            client = w.client
            if key in created or key in updated:
                if key in created:
                    self.counts.created += 1
                else:
                    self.counts.updated += 1
                entries.append(
                    LedgerEntry(
                        client.client_id, client.email, client.content_hash(), w.write.status
                    )
                )
                continue
            error = errors.get(key)
            if error is not None and error.kind == MemberErrorKind.COMPLIANCE_STATE:
                # MailChimp refused to subscribe someone who opted out: our R10 safety net.
                # Its refusal does not say whether they unsubscribed or bounced; ask.
                status = self._opted_out_status(client.email)
                self._skip(client, f"{status.value} in MailChimp: never re-subscribed")
                entries.append(
                    LedgerEntry(client.client_id, client.email, client.content_hash(), status)
                )
                opt_outs.append((client.email, status))
                continue
            reason = (
                _readable(error.kind, error.message, error.field)
                if error
                else ("MailChimp returned no result for this contact")
            )
            self.counts.failed += 1
            self.problems.append(ClientProblem(client.client_id, client.email, reason))
            # Remember the refusal with the content it was for: the same content is not sent
            # again every night (MailChimp would refuse it forever), a changed one is.
            entries.append(
                LedgerEntry(client.client_id, client.email, client.content_hash(), None, reason)
            )
        marked = [(email, status, self._mark(email, status)) for email, status in opt_outs]
        with self.deps.uow() as uow:
            scope = uow.scope(self.tenant.tenant_id)
            scope.ledger.upsert_many(entries)
            for email, status, marked_client in marked:
                self._tell(scope, email, status, marked_client, None)
            scope.leases.acquire(
                self.holder, self.deps.clock.now(), self.deps.clock.now() + LEASE_TTL
            )
            uow.commit()
        self.journal.published()

    def _opted_out_status(self, email: str) -> MemberStatus:
        """UNSUBSCRIBED or CLEANED, as MailChimp has the member now."""
        state = self.account.get_member(self.audience_id, email)
        if state is not None and state.status == MemberStatus.CLEANED:
            return MemberStatus.CLEANED
        # Unsubscribed, or archived after opting out (it stays in compliance state).
        return MemberStatus.UNSUBSCRIBED

    def push(self, batches: Iterator[list[_Write]]) -> None:
        pending: dict[int, list[_Write]] = {}

        def member_batches() -> Iterator[list[MemberWrite]]:
            for batch in batches:
                members = [w.write for w in batch]
                pending[id(members)] = batch
                yield members

        done = 0
        for members, result in self.account.batch_subscribe(self.audience_id, member_batches()):
            writes = pending.pop(id(members))
            self.record_batch(writes, result)
            done += len(writes)
            self.progress("push", done)

    # -- email changes -----------------------------------------------------------------------
    def change_emails(self) -> None:
        for change in self.email_changes:
            if self.dry_run:
                self.plan["update"].append(f"{change.old.email} → {change.client.email}")
                self.counts.updated += 1
                continue
            self._change_email(change.client, change.old)

    def _change_email(self, client: Client, old: LedgerEntry) -> None:
        status = old.member_status
        try:
            if status is not None and status.opted_out:
                # MailChimp keeps an opted-out member's address (ASSUMPTION, as the simulator
                # does): go straight to archive-and-carry.
                raise MemberRejected(400, "opted out", "", _opted_out_error(client.email))
            state = self.account.change_email(
                self.audience_id, old.email, client.email, client.merge_fields()
            )
        except MemberRejected as exc:
            if exc.error.kind in _ADDRESS_REFUSALS:
                # The new address itself is refused: the old member is left as it is, and the
                # ledger keeps pointing at it until the client's address changes again.
                self._change_failed(client, old.email, status, exc)
                return
            new_status = self._carry(client, old)
        else:
            new_status = state.status
        if new_status is None:
            return
        self.counts.updated += 1
        self._save_entry(
            LedgerEntry(client.client_id, client.email, client.content_hash(), new_status),
            activity=(
                ActivityKind.CONTACT_EMAIL_CHANGED,
                f"{old.email} changed address to {client.email}: the same MailChimp "
                "member follows the client.",
                {"old_email": old.email, "new_email": client.email, "client_id": client.client_id},
            ),
        )

    def _carry(self, client: Client, old: LedgerEntry) -> MemberStatus | None:
        """MailChimp would not move the address: the new address gets the old one's consent
        state (only if it is new to MailChimp: PUT with status_if_new), then the old member is
        archived, so the client never has two subscribed addresses. Returns the new member's
        status, or None when it failed (recorded)."""
        status = old.member_status
        carried: MemberStatus
        if (status is not None and status.opted_out) or (
            client.newsletter != NewsletterStatus.SUBSCRIBED
        ):
            carried = MemberStatus.UNSUBSCRIBED
        elif status in _ACTIVE and status is not None:
            carried = status
        else:
            carried = self._new_status()
        try:
            state = self.account.upsert_member(
                self.audience_id, MemberWrite(client.email, carried, client.merge_fields())
            )
        except MemberRejected as exc:
            self._change_failed(client, old.email, status, exc)
            return None
        if status is not None and status != MemberStatus.CLEANED:
            try:
                self.account.archive_member(self.audience_id, old.email)
            except MemberRejected as exc:
                # e.g. already archived, or pending (MailChimp cannot archive it, §4.3).
                reason = _readable(exc.error.kind, exc.error.message, exc.error.field)
                self.problems.append(
                    ClientProblem(client.client_id, old.email, f"old address kept: {reason}")
                )
        return state.status

    def _change_failed(
        self,
        client: Client,
        old_email: str,
        old_status: MemberStatus | None,
        exc: MemberRejected,
    ) -> None:
        self.counts.failed += 1
        reason = _readable(exc.error.kind, exc.error.message, exc.error.field)
        self.problems.append(ClientProblem(client.client_id, client.email, reason))
        # The hash is the new content's: the same refused change is not retried every night.
        self._save_entry(
            LedgerEntry(client.client_id, old_email, client.content_hash(), old_status, reason)
        )

    def _save_entry(
        self, entry: LedgerEntry, activity: tuple[ActivityKind, str, dict[str, Any]] | None = None
    ) -> None:
        with self.deps.uow() as uow:
            scope = uow.scope(self.tenant.tenant_id)
            scope.ledger.upsert_many([entry])
            if activity is not None:
                self.journal.record(scope, activity[0], activity[1], **activity[2])
            uow.commit()
        self.journal.published()

    # -- removed clients ---------------------------------------------------------------------
    def removed_clients(self) -> None:
        with self.deps.uow() as uow:
            known_ids = uow.scope(self.tenant.tenant_id).ledger.all_client_ids()
        gone = sorted(known_ids - self.seen_ids)
        if not gone or self.dry_run:
            if gone:
                self.plan["skip"].extend(f"client {cid}: removed from the platform" for cid in gone)
            return
        with self.deps.uow() as uow:
            entries = uow.scope(self.tenant.tenant_id).ledger.get_many(gone)
        archived: list[str] = []
        refused: list[dict[str, str]] = []
        if self.tenant.archive_removed_clients:
            for entry in entries.values():
                if entry.email.lower() in self.seen_emails:
                    continue  # the address now belongs to another client of the platform
                if entry.member_status not in _ARCHIVABLE:
                    continue  # not in MailChimp, or MailChimp cannot archive it (§4.3)
                try:
                    self.account.archive_member(self.audience_id, entry.email)
                except MemberRejected as exc:
                    # Already archived (a run killed after archiving it), or changed since.
                    refused.append({"email": entry.email, "reason": exc.error.message})
                    continue
                archived.append(entry.email)
        with self.deps.uow() as uow:
            scope = uow.scope(self.tenant.tenant_id)
            scope.ledger.delete_many(gone)
            action = (
                f"{len(archived)} archived in MailChimp"
                if self.tenant.archive_removed_clients
                else "left as they are in MailChimp"
            )
            self.journal.record(
                scope,
                ActivityKind.CONTACT_REMOVED,
                f"{len(gone)} client(s) removed from the platform are no longer synced; {action}.",
                count=len(gone),
                emails=[e.email for e in entries.values()][:MAX_DETAILS],
                archived=len(archived),
                not_archived=refused[:MAX_DETAILS],
            )
            uow.commit()
        self.journal.published()


def _opted_out_error(email: str) -> MemberError:
    return MemberError(email, MemberErrorKind.COMPLIANCE_STATE, "opted out")


def _readable(kind: MemberErrorKind, message: str, field_name: str = "") -> str:
    """What MailChimp's refusal means, in words a salon owner understands."""
    if kind == MemberErrorKind.FAKE_OR_INVALID:
        return "MailChimp refused the address as fake or invalid: check the client's email"
    if kind == MemberErrorKind.FORGOTTEN:
        return (
            "this address was permanently deleted from MailChimp and cannot be re-imported; "
            "the client must sign up again through a MailChimp form"
        )
    if kind == MemberErrorKind.MERGE_FIELDS:
        if field_name.upper().endswith("BIRTHDAY"):
            return "MailChimp refused the birthday: it must be month/day"
        return f"MailChimp refused the field {field_name or '?'}: {message}"
    if kind == MemberErrorKind.COMPLIANCE_STATE:
        return "unsubscribed or cleaned in MailChimp: never re-subscribed"
    return f"MailChimp refused this contact: {message}"


def _chunks(clients: Iterator[Client], size: int) -> Iterator[list[Client]]:
    chunk: list[Client] = []
    for client in clients:
        chunk.append(client)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class SyncService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def sync(
        self,
        tenant_id: str,
        kind: SyncKind = SyncKind.MANUAL,
        full: bool = False,
        dry_run: bool = False,
        progress: Progress = _no_progress,
        audience_checked: bool = False,
    ) -> SyncReport:
        """`audience_checked`: the caller has just run the R1/R2 check (the connect flow), so
        the run trusts the tenant's audience id instead of reading lists and fields again."""
        deps = self.deps
        tenant = get_tenant(deps, tenant_id)
        account = open_account(deps, tenant)
        holder = uuid.uuid4().hex
        now = deps.clock.now()
        with deps.uow() as uow:
            if not uow.scope(tenant_id).leases.acquire(holder, now, now + LEASE_TTL):
                raise SyncInProgress(f"tenant {tenant_id!r} is being synced by another process")
            if kind == SyncKind.NIGHTLY:
                # Two schedulers may both have found the tenant due: the one that gets the
                # lease second must see the night is done (R4: once per local night).
                current = uow.tenants.get(tenant_id) or tenant
                tonight = now.astimezone(ZoneInfo(current.timezone)).date()
                if current.last_sync_local_date == tonight:
                    uow.scope(tenant_id).leases.release(holder)
                    uow.commit()
                    account.close()
                    raise AlreadySynced(f"tenant {tenant_id!r} already synced for {tonight}")
            _close_interrupted(uow.scope(tenant_id), now)
            run = (
                SyncRun(tenant_id, kind, now)
                if dry_run
                else uow.scope(tenant_id).runs.add(SyncRun(tenant_id, kind, now))
            )
            uow.commit()
        try:
            report = self._sync(
                tenant,
                account,
                run,
                full or kind in (SyncKind.INITIAL, SyncKind.FULL),
                dry_run,
                progress,
                holder,
                audience_checked and bool(tenant.audience_id),
            )
        finally:
            with deps.uow() as uow:
                uow.scope(tenant_id).leases.release(holder)
                uow.commit()
            account.close()
        return report

    def _sync(
        self,
        tenant: Tenant,
        account: MailChimpAccount,
        run: SyncRun,
        full: bool,
        dry_run: bool,
        progress: Progress,
        holder: str,
        audience_checked: bool = False,
    ) -> SyncReport:
        deps = self.deps
        journal = Journal(deps)
        list_name = tenant.list_name
        try:
            problems: list[contract.FieldProblem] = []
            if audience_checked:
                audience = Audience(tenant.audience_id, list_name)
            else:
                audience, problems = contract.check_audience(account, tenant, list_name)
            if problems:
                raise AudienceContractError(
                    contract.describe_field_problems(list_name, problems),
                    problems=tuple(p.tag for p in problems),
                )
            state = _Run(
                deps, tenant, account, audience.audience_id, full, dry_run, progress, holder
            )
            webhook_problem = ""
            if not dry_run:
                webhook_problem = self._watchdog(tenant, account, audience.audience_id, journal)
            since = None if full or tenant.members_checked_at is None else tenant.members_checked_at
            if not dry_run:
                # Webhook events stored but never applied (a crash after MailChimp got its
                # 200) are applied before MailChimp is read back.
                InboundService(deps).apply_pending(tenant.tenant_id)
            progress("backfill", 0)
            checked_at = state.backfill(since)
            progress("plan", 0)
            clients = deps.directory.clients(tenant.tenant_id)
            planned = (state.plan_chunk(chunk) for chunk in _chunks(clients, BATCH_SIZE))
            if dry_run:
                for writes in planned:
                    for w in writes:
                        bucket = "update" if w.existing else "create"
                        state.plan[bucket].append(w.write.email)
                        if w.existing:
                            state.counts.updated += 1
                        else:
                            state.counts.created += 1
            else:
                state.push(_rebatch(planned, BATCH_SIZE))
            state.change_emails()
            state.removed_clients()
        except TokenRevoked:
            return self._fail_revoked(tenant, run, journal, account)
        except (AudienceContractError, AudienceNotFound) as exc:
            message = (
                exc.message
                if isinstance(exc, AudienceContractError)
                else (
                    f"the MailChimp audience {list_name!r} disappeared during the sync. Do not delete "
                    f"the {list_name!r} audience: create it again, then authorize again."
                )
            )
            return self._fail(
                tenant,
                run,
                journal,
                account,
                message,
                dry_run,
                ConnectionState.NEEDS_ATTENTION,
                check_failed=True,
            )
        except (MailChimpError, CalendarspotsError) as exc:
            message = (
                exc.message
                if isinstance(exc, CalendarspotsError)
                else (f"MailChimp did not answer well ({exc}); the sync will be retried")
            )
            return self._fail(tenant, run, journal, account, message, dry_run, None)
        counts = state.counts
        partial = bool(counts.failed or webhook_problem)
        status = SyncStatus.PARTIAL if partial else SyncStatus.SUCCEEDED
        message = (
            f"{'Dry run: would send' if dry_run else 'Sync finished'}: {counts.created} added, "
            f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.skipped} skipped, "
            f"{counts.failed} failed"
        )
        if counts.unsubscribed or counts.cleaned:
            message += (
                f"; {counts.unsubscribed} unsubscribed and {counts.cleaned} cleaned in MailChimp"
            )
        if webhook_problem:
            message += ". The webhook is not installed: see the activity log"
        report = SyncReport(
            tenant.tenant_id,
            run.kind,
            status,
            counts,
            message,
            dry_run,
            account.api_calls,
            state.problems,
            state.plan,
        )
        if dry_run:
            return report
        now = deps.clock.now()
        run.status, run.finished_at, run.counts, run.message = status, now, counts, message
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            current = uow.tenants.get(tenant.tenant_id) or tenant
            updated = replace(
                current,
                audience_id=audience.audience_id,
                last_sync_at=now,
                last_sync_local_date=now.astimezone(ZoneInfo(tenant.timezone)).date(),
                members_checked_at=checked_at,
            )
            if updated.state == ConnectionState.NEEDS_ATTENTION:
                updated = updated.with_state(ConnectionState.CONNECTED)
            uow.tenants.save(updated)
            kind = ActivityKind.SYNC_PARTIAL if partial else ActivityKind.SYNC_SUCCEEDED
            journal.record(
                scope,
                kind,
                message,
                run=str(run.kind),
                counts=counts.as_dict(),
                problems=[p.as_dict() for p in state.problems[:MAX_DETAILS]],
                api_calls=account.api_calls,
            )
            uow.commit()
        journal.published()
        return report

    def _watchdog(
        self, tenant: Tenant, account: MailChimpAccount, audience_id: str, journal: Journal
    ) -> str:
        """R5. Returns a problem message when the webhook could not be put right, else ''."""
        deps = self.deps
        current = tenant
        if not current.webhook_secret:
            # Stored before the webhook is created: MailChimp checks the URL with a GET while
            # creating it (API-NOTES §6.2), and that GET must already find the secret.
            current = replace(current, webhook_secret=contract.new_webhook_secret())
            with deps.uow() as uow:
                stored = uow.tenants.get(tenant.tenant_id) or current
                uow.tenants.save(replace(stored, webhook_secret=current.webhook_secret))
                uow.commit()
            tenant.webhook_secret = current.webhook_secret
        spec = contract.webhook_spec(deps.settings.public_url, current)
        try:
            outcome = contract.ensure_webhook(
                account, audience_id, spec, deps.settings.public_url, tenant.webhook_id
            )
        except (TokenRevoked, AudienceNotFound):
            raise
        except MailChimpError as exc:
            # The contacts still go out; the webhook is tried again at the next sync.
            message = (
                f"The webhook could not be installed in MailChimp ({exc.detail or exc.title}). "
                "MailChimp must be able to reach "
                f"{deps.settings.public_url}: check that the plugin's web server is running. "
                "It will be tried again at the next sync."
            )
            with deps.uow() as uow:
                journal.record(uow.scope(tenant.tenant_id), ActivityKind.WEBHOOK_FAILED, message)
                uow.commit()
            journal.published()
            return message
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            stored = uow.tenants.get(tenant.tenant_id) or current
            uow.tenants.save(
                replace(
                    stored,
                    webhook_id=outcome.webhook.webhook_id,
                    webhook_secret=current.webhook_secret,
                    audience_id=audience_id,
                )
            )
            if outcome.action == "installed":
                journal.record(
                    scope,
                    ActivityKind.WEBHOOK_INSTALLED,
                    "The webhook was added to your MailChimp audience. Please do not "
                    "delete or edit it.",
                    webhook_id=outcome.webhook.webhook_id,
                )
            elif outcome.action == "repaired":
                journal.record(
                    scope,
                    ActivityKind.WEBHOOK_REPAIRED,
                    f"The MailChimp webhook had been {', '.join(outcome.what) or 'altered'}; it was "
                    "restored. Please do not delete or edit it (Audience → Settings → Webhooks).",
                    what=list(outcome.what),
                    webhook_id=outcome.webhook.webhook_id,
                )
            uow.commit()
        journal.published()
        tenant.webhook_id = outcome.webhook.webhook_id
        tenant.webhook_secret = current.webhook_secret
        tenant.audience_id = audience_id
        return ""

    def _finish_failed(
        self,
        tenant: Tenant,
        run: SyncRun,
        journal: Journal,
        account: MailChimpAccount,
        message: str,
        state: ConnectionState | None,
        extra: list[tuple[ActivityKind, str]],
    ) -> None:
        deps = self.deps
        now = deps.clock.now()
        run.status, run.finished_at, run.message = SyncStatus.FAILED, now, message
        with deps.uow() as uow:
            scope = uow.scope(tenant.tenant_id)
            scope.runs.save(run)
            if state is not None:
                current = uow.tenants.get(tenant.tenant_id) or tenant
                uow.tenants.save(current.with_state(state, message))
            for kind, text in extra:
                journal.record(scope, kind, text)
            journal.record(
                scope,
                ActivityKind.SYNC_FAILED,
                f"Sync failed: {message}",
                run=str(run.kind),
                api_calls=account.api_calls,
            )
            uow.commit()
        journal.published()

    def _fail(
        self,
        tenant: Tenant,
        run: SyncRun,
        journal: Journal,
        account: MailChimpAccount,
        message: str,
        dry_run: bool,
        state: ConnectionState | None,
        check_failed: bool = False,
    ) -> SyncReport:
        if not dry_run:
            extra = [(ActivityKind.CHECK_FAILED, message)] if check_failed else []
            self._finish_failed(tenant, run, journal, account, message, state, extra)
        return SyncReport(
            tenant.tenant_id,
            run.kind,
            SyncStatus.FAILED,
            SyncCounts(),
            message,
            dry_run,
            account.api_calls,
            failure="contract" if check_failed else "mailchimp",
        )

    def _fail_revoked(
        self, tenant: Tenant, run: SyncRun, journal: Journal, account: MailChimpAccount
    ) -> SyncReport:
        message = (
            "MailChimp refused the plugin's authorization (it was revoked). The owner must "
            "authorize again: Settings → Advanced → Newsletters → Authorize."
        )
        self._finish_failed(
            tenant,
            run,
            journal,
            account,
            message,
            ConnectionState.NEEDS_REAUTHORIZATION,
            [(ActivityKind.AUTHORIZATION_REVOKED, message)],
        )
        return SyncReport(
            tenant.tenant_id,
            run.kind,
            SyncStatus.FAILED,
            SyncCounts(),
            message,
            False,
            account.api_calls,
            failure="revoked",
        )


class AlreadySynced(CalendarspotsError):
    """A nightly run found the tenant's night already synced by another process."""


def _close_interrupted(scope: TenantScope, now: datetime) -> None:
    """Runs still marked running when we hold the lease lost their process (killed, or the
    lease expired): they failed. What they acknowledged is in the ledger; this run resumes."""
    for run in scope.runs.latest(5):
        if run.status == SyncStatus.RUNNING:
            run.status, run.finished_at = SyncStatus.FAILED, now
            run.message = "interrupted: the process stopped before the end; resumed by the next run"
            scope.runs.save(run)


def _rebatch(planned: Iterator[list[_Write]], size: int) -> Iterator[list[_Write]]:
    """Full batches of `size` writes, whatever the chunks the planner produced."""
    batch: list[_Write] = []
    for writes in planned:
        for w in writes:
            batch.append(w)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def ensure_connected(tenant: Tenant) -> None:
    if not tenant.connected:
        raise NotConnected(f"tenant {tenant.tenant_id!r} is not connected to MailChimp")

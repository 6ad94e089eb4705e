"""Per-chunk planning: what each client needs in MailChimp, decided from the ledger and the
member statuses known this run (R6, R10; SPEC "What a sync sends")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from calendarspots_mailchimp.core.model import (
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    is_valid_email,
)
from calendarspots_mailchimp.core.services.sync.limits import LOOKUP_LIMIT
from calendarspots_mailchimp.core.services.sync.report import Reason
from calendarspots_mailchimp.core.services.sync.run import EmailChange, Run, Write
from calendarspots_mailchimp.core.services.sync.verdict import Facts, decide


def plan_chunk(run: Run, chunk: Sequence[Client]) -> list[Write]:
    with run.uow() as uow:
        ledger = uow.scope(run.tenant.tenant_id).ledger.get_many(c.client_id for c in chunk)
    run.read_known += len(ledger)
    candidates: list[tuple[Client, LedgerEntry | None]] = []
    unknown: list[str] = []
    for client in chunk:
        run.seen_ids.add(client.client_id)
        email = client.email.strip()
        key = email.lower()
        if not is_valid_email(email):
            run.skip(client, Reason.INVALID_EMAIL)
            continue
        if key in run.seen_emails:
            run.skip(client, Reason.SAME_EMAIL)
            continue
        run.seen_emails.add(key)
        entry = ledger.get(client.client_id)
        if entry is not None and entry.email.lower() != key:
            if run.refused_before(client, entry):
                run.skip(client, Reason.REFUSED_BEFORE, entry.last_error)
            else:
                run.email_changes.append(EmailChange(client, entry))
            continue
        candidates.append((client, entry))
        if _needs_lookup(run, client, entry, key):
            unknown.append(key)
    _look_up(run, unknown)
    writes: list[Write] = []
    for client, entry in candidates:
        write = _plan_one(run, client, entry)
        if write is not None:
            writes.append(write)
    return writes


def preview(run: Run, planned: Iterator[list[Write]]) -> None:
    """A dry run counts and lists what it would send instead of sending it."""
    for writes in planned:
        for w in writes:
            bucket = "update" if w.existing else "create"
            run.plan[bucket].append(w.write.email)
            if w.existing:
                run.counts.updated += 1
            else:
                run.counts.created += 1


def _needs_lookup(run: Run, client: Client, entry: LedgerEntry | None, key: str) -> bool:
    """A client about to be sent whose member status nobody knows: batch subscribe with
    update_existing sets the status it is given (docs/mailchimp-api.md §5.1), so sending a guess could
    turn a pending member into a subscribed one, or a subscribed one into pending."""
    if run.remote_complete or key in run.absent or run.known(key, entry) is not None:
        return False
    if client.newsletter != NewsletterStatus.SUBSCRIBED:
        return False  # not sent at all while its status is unknown
    return entry is None or not run.refused_before(client, entry)


def _look_up(run: Run, keys: list[str]) -> None:
    """Learns the status of members unknown to the ledger: one GET each for a few, one read
    of the whole audience (1,000 a page) for many."""
    keys = [k for k in dict.fromkeys(keys) if k not in run.remote and k not in run.absent]
    if not keys or run.remote_complete:
        return
    if run.lookups + len(keys) > LOOKUP_LIMIT:
        for member in run.account.members(run.audience_id):
            run.remote.setdefault(member.email.lower(), member.status)
        run.remote_complete = True
        return
    for key in keys:
        run.lookups += 1
        state = run.account.get_member(run.audience_id, key)
        if state is None:
            run.absent.add(key)
        else:
            run.remote[key] = state.status


def _left_the_audience(run: Run, key: str, entry: LedgerEntry | None) -> bool:
    """A member we pushed before that MailChimp no longer has under this address: archived or
    deleted there, or moved to another address by the subscriber (upemail). Re-adding it
    would undo the owner's or the subscriber's own choice."""
    if entry is None or entry.member_status is None:
        return False
    if key in run.remote:
        # Whether MailChimp lists archived members without a status filter is undocumented:
        # if it does, an archived member shows up here, and it is just as gone.
        return run.remote[key] == MemberStatus.ARCHIVED
    return entry.member_status == MemberStatus.ARCHIVED or run.remote_complete


def _plan_one(run: Run, client: Client, entry: LedgerEntry | None) -> Write | None:
    key = client.email.strip().lower()
    verdict = decide(
        Facts(
            client,
            entry,
            run.known(key, entry),
            _left_the_audience(run, key, entry),
            entry is not None and run.refused_before(client, entry),
            run.full,
            run.new_status(),
        )
    )
    if verdict.skip is not None:
        run.skip(client, verdict.skip, verdict.detail)
        return None
    if verdict.send is None:
        run.counts.unchanged += 1
        return None
    return Write(client, verdict.send, verdict.existing, verdict.rewrite)

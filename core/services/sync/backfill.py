"""R7: members MailChimp changed since the last check are read back; their opt-outs reach the
client directory and the ledger keeps their current status.

The checkpoint a run leaves (the tenant's `members_checked_at`) is the moment after which the
next run reads members back. A quiet run leaves the time its read began, less BACKFILL_MARGIN
(a skewed clock, a change MailChimp shows late). A run that wrote many members (an onboarding)
leaves the moment of its own last write instead, so the next run does not read them all back;
the opt-outs people made while it wrote are read back by status right after (after_push)."""

from __future__ import annotations

from datetime import datetime

from calendarspots_mailchimp.core.model import MemberStatus
from calendarspots_mailchimp.core.services.sync.limits import BACKFILL_MARGIN, READ_BACK_LIMIT
from calendarspots_mailchimp.core.services.sync.optouts import mark_all, tell
from calendarspots_mailchimp.core.services.sync.run import Run

Changed = list[tuple[str, MemberStatus]]


def backfill(run: Run, since: datetime | None) -> datetime | None:
    """Reads members MailChimp changed after `since` (all members when None) and applies
    opt-outs to the client directory. Returns the checkpoint for the next run: when this
    read began, by the real clock (a pretended `nightly --now` never moves it), or the latest
    `last_changed` MailChimp reported if that is later (a clock behind MailChimp's), less
    BACKFILL_MARGIN; never before `since`."""
    run.remote_complete = since is None
    read_started = run.clock.now()
    run.read_started = read_started
    changed: Changed = []
    latest: datetime | None = None
    for member in run.account.members(run.audience_id, since_last_changed=since):
        key = member.email.lower()
        run.remote[key] = member.status
        changed.append((key, member.status))
        if member.last_changed is not None and (latest is None or member.last_changed > latest):
            latest = member.last_changed
    read = max(t for t in (read_started, latest) if t is not None) - BACKFILL_MARGIN
    checkpoint = read if since is None else max(read, since)
    if run.dry_run:
        _preview_opt_outs(run, changed)
        return checkpoint
    _apply(run, changed)
    return checkpoint


def after_push(run: Run, checkpoint: datetime | None) -> datetime | None:
    """A run that wrote more than READ_BACK_LIMIT members reads back the opt-outs made since
    its read began (two calls: MailChimp filters by one status at a time) and returns a
    checkpoint past its own writes. Other changes people made while it wrote (a double
    opt-in confirmed) come through the webhook, as every change normally does; members that
    only echo our writes are not read back. A smaller run leaves its writes to the next read
    (one page of 1,000 at most)."""
    if run.dry_run or run.written <= READ_BACK_LIMIT or run.read_started is None:
        return checkpoint
    begun = run.read_started - BACKFILL_MARGIN
    changed: Changed = []
    for status in (MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED):
        for member in run.account.members(run.audience_id, status=status, since_last_changed=begun):
            key = member.email.lower()
            run.remote[key] = member.status
            changed.append((key, member.status))
    _apply(run, changed)
    # Our own last write by MailChimp's clock; without it (an answer that does not say), our
    # clock now, after the push.
    until = run.written_until or run.clock.now()
    return until if checkpoint is None else max(checkpoint, until)


def _apply(run: Run, changed: Changed) -> None:
    if not changed:
        return
    opted_out = [(email, status) for email, status in changed if status.opted_out]
    with run.uow() as uow:
        ledger = uow.scope(run.tenant.tenant_id).ledger
        known = {email: ledger.find_by_email(email) for email, _ in opted_out}
    # The client directory may be the same database: it is written outside our unit of
    # work, never while that holds a write transaction.
    marked = mark_all(run, opted_out)
    with run.uow() as uow:
        scope = uow.scope(run.tenant.tenant_id)
        for email, status, client in marked:
            tell(run, scope, email, status, client, known[email])
        # Keep the ledger's view current (pending -> subscribed after a confirmation,
        # opt-outs): the status re-sent for an existing member must be its own. Members
        # that only echo our own writes already match and cost one bulk read, not one
        # update each.
        recorded = scope.ledger.member_statuses(email for email, _ in changed)
        for email, status in changed:
            if email in recorded and recorded[email] != status:
                scope.ledger.set_member_status(email, status)
        uow.commit()


def _preview_opt_outs(run: Run, changed: Changed) -> None:
    """A dry run lists the opt-outs it would bring back, changing nothing."""
    opted_out = [(email, status) for email, status in changed if status.opted_out]
    if not opted_out:
        run.plan["opt_out"] = []
        return
    with run.uow() as uow:
        recorded = uow.scope(run.tenant.tenant_id).ledger.member_statuses(e for e, _ in opted_out)
    run.plan["opt_out"] = [
        f"{email} {status.value}" for email, status in opted_out if recorded.get(email) != status
    ]

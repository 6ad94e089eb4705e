"""R7: members MailChimp changed since the last check are read back; their opt-outs reach the
client directory and the ledger keeps their current status."""

from __future__ import annotations

from datetime import datetime

from calendarspots_mailchimp.core.model import MemberStatus
from calendarspots_mailchimp.core.services.sync.limits import BACKFILL_MARGIN
from calendarspots_mailchimp.core.services.sync.optouts import mark_all, tell
from calendarspots_mailchimp.core.services.sync.run import Run


def backfill(run: Run, since: datetime | None) -> datetime | None:
    """Reads members MailChimp changed since `since` (all members when None) and applies
    opt-outs to the client directory. Returns the checkpoint for the next run: when this
    read began, by the real clock (a pretended `nightly --now` never moves it), or the latest
    `last_changed` MailChimp reported if that is later (a clock behind MailChimp's). The
    next run reads from BACKFILL_MARGIN before it, for a skewed clock or a change MailChimp
    shows late; a checkpoint that stayed at the last change would have every night read
    that whole last batch again (all members, after an onboarding)."""
    after = None if since is None else since - BACKFILL_MARGIN
    run.remote_complete = after is None
    read_started = run.clock.now()
    changed: list[tuple[str, MemberStatus]] = []
    latest: datetime | None = None
    for member in run.account.members(run.audience_id, since_last_changed=after):
        key = member.email.lower()
        run.remote[key] = member.status
        changed.append((key, member.status))
        if member.last_changed is not None and (latest is None or member.last_changed > latest):
            latest = member.last_changed
    checkpoint = max(t for t in (read_started, latest, since) if t is not None)
    if run.dry_run:
        _preview_opt_outs(run, changed)
        return checkpoint
    if not changed:
        return checkpoint
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
        # that only echo our own writes (the night after onboarding: all of them) already
        # match and cost one bulk read, not one update each.
        recorded = scope.ledger.member_statuses(email for email, _ in changed)
        for email, status in changed:
            if email in recorded and recorded[email] != status:
                scope.ledger.set_member_status(email, status)
        uow.commit()
    return checkpoint


def _preview_opt_outs(run: Run, changed: list[tuple[str, MemberStatus]]) -> None:
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

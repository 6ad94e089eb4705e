"""Clients removed from the platform leave the ledger; their members are archived when the
tenant asked for it (SPEC "What a sync sends")."""

from __future__ import annotations

from calendarspots_mailchimp.core.model import ActivityKind, MemberStatus
from calendarspots_mailchimp.core.services.sync.limits import MAX_DETAILS
from calendarspots_mailchimp.core.services.sync.run import Run
from calendarspots_mailchimp.ports.mailchimp import MemberRejected

# Members MailChimp lets us archive (not cleaned, pending or archived: docs/mailchimp-api.md §4.3).
_ARCHIVABLE = (MemberStatus.SUBSCRIBED, MemberStatus.UNSUBSCRIBED, MemberStatus.TRANSACTIONAL)


def gone_from_platform(run: Run) -> tuple[int, set[str]]:
    """How many clients the ledger holds, and those of them gone from the platform: after a
    full read, the ledger's ids not seen; after an incremental one (reading.py), the ids the
    directory removed, not seen again, that the ledger holds. Read once a run: the guard
    (before anything is sent) and removed_clients share it."""
    if run.gone is None:
        with run.uow() as uow:
            ledger = uow.scope(run.tenant.tenant_id).ledger
            if run.removed is None:
                known = ledger.all_client_ids()
                run.members, run.gone = len(known), known - run.seen_ids
            else:  # run.members was counted when the changes were read
                run.gone = set(ledger.get_many(run.removed - run.seen_ids))
    return run.members, run.gone


def removed_clients(run: Run) -> None:
    gone = sorted(gone_from_platform(run)[1])
    if not gone or run.dry_run:
        if gone:
            run.plan["removed"].extend(gone)
        return
    with run.uow() as uow:
        entries = uow.scope(run.tenant.tenant_id).ledger.get_many(gone)
    archived: list[str] = []
    refused: list[dict[str, str]] = []
    if run.tenant.archive_removed_clients:
        for entry in entries.values():
            if entry.email.lower() in run.seen_emails:
                continue  # the address now belongs to another client of the platform
            if entry.member_status not in _ARCHIVABLE:
                continue  # not in MailChimp, or MailChimp cannot archive it (§4.3)
            try:
                run.account.archive_member(run.audience_id, entry.email)
            except MemberRejected as exc:
                # Already archived (a run killed after archiving it), or changed since.
                refused.append({"email": entry.email, "reason": exc.error.message})
                continue
            archived.append(entry.email)
    with run.uow() as uow:
        scope = uow.scope(run.tenant.tenant_id)
        scope.ledger.delete_many(gone)
        run.record(
            scope,
            ActivityKind.CONTACT_REMOVED,
            count=len(gone),
            archive=run.tenant.archive_removed_clients,
            emails=[e.email for e in entries.values()][:MAX_DETAILS],
            archived=len(archived),
            not_archived=refused[:MAX_DETAILS],
        )
        uow.commit()

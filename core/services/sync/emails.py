"""A client whose address changed keeps its MailChimp member: moved when MailChimp allows it,
else the consent is carried to a new member and the old one archived."""

from __future__ import annotations

from typing import Any

from calendarspots_mailchimp.core.model import (
    ActivityKind,
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
)
from calendarspots_mailchimp.core.services.sync.report import (
    ClientProblem,
    Reason,
    encode,
    refusal,
)
from calendarspots_mailchimp.core.services.sync.run import Run, ledger_entry
from calendarspots_mailchimp.core.services.sync.verdict import ACTIVE
from calendarspots_mailchimp.ports.mailchimp import (
    MemberError,
    MemberErrorKind,
    MemberRejected,
    MemberWrite,
)

# Refusals of an address itself: moving a member there cannot work either.
_ADDRESS_REFUSALS = (
    MemberErrorKind.FAKE_OR_INVALID,
    MemberErrorKind.FORGOTTEN,
    MemberErrorKind.MERGE_FIELDS,
)


def change_emails(run: Run) -> None:
    for change in run.email_changes:
        if run.dry_run:
            run.plan["update"].append(f"{change.old.email} → {change.client.email}")
            run.counts.updated += 1
            continue
        _change_email(run, change.client, change.old)


def _change_email(run: Run, client: Client, old: LedgerEntry) -> None:
    status = old.member_status
    try:
        if status is not None and status.opted_out:
            # MailChimp keeps an opted-out member's address (ASSUMPTION, as the simulator
            # does): go straight to archive-and-carry.
            error = MemberError(client.email, MemberErrorKind.COMPLIANCE_STATE, "opted out")
            raise MemberRejected(400, "opted out", "", error)
        state = run.account.change_email(
            run.audience_id, old.email, client.email.strip(), client.merge_fields()
        )
    except MemberRejected as exc:
        if exc.error.kind in _ADDRESS_REFUSALS:
            # The new address itself is refused: the old member is left as it is, and the
            # ledger keeps pointing at it until the client's address changes again.
            _change_failed(run, client, old.email, status, exc)
            return
        new_status = _carry(run, client, old)
    else:
        new_status = state.status
    if new_status is None:
        return
    run.counts.updated += 1
    _save_entry(
        run,
        ledger_entry(client, new_status),
        activity=(
            ActivityKind.CONTACT_EMAIL_CHANGED,
            {"old_email": old.email, "new_email": client.email, "client_id": client.client_id},
        ),
    )


def _carry(run: Run, client: Client, old: LedgerEntry) -> MemberStatus | None:
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
    elif status in ACTIVE and status is not None:
        carried = status
    else:
        carried = run.new_status()
    try:
        # The new address may already be a member with older values: all of them are sent.
        state = run.account.upsert_member(
            run.audience_id, MemberWrite(client.email.strip(), carried, client.merge_fields())
        )
    except MemberRejected as exc:
        _change_failed(run, client, old.email, status, exc)
        return None
    if status is not None and status != MemberStatus.CLEANED:
        try:
            run.account.archive_member(run.audience_id, old.email)
        except MemberRejected as exc:
            # e.g. already archived, or pending (MailChimp cannot archive it, §4.3).
            kept = encode(*refusal(exc.error))
            problem = ClientProblem(client.client_id, old.email, Reason.OLD_ADDRESS_KEPT, kept)
            run.problems.append(problem)
    return state.status


def _change_failed(
    run: Run,
    client: Client,
    old_email: str,
    old_status: MemberStatus | None,
    exc: MemberRejected,
) -> None:
    reason, detail = refusal(exc.error)
    run.fail(client, reason, detail)
    # The hash is the new content's: the same refused change is not retried every night.
    code = encode(reason, detail)
    _save_entry(
        run, LedgerEntry(client.client_id, old_email, client.content_hash(), old_status, code)
    )


def _save_entry(
    run: Run, entry: LedgerEntry, activity: tuple[ActivityKind, dict[str, Any]] | None = None
) -> None:
    with run.uow() as uow:
        scope = uow.scope(run.tenant.tenant_id)
        scope.ledger.upsert_many([entry])
        if activity is not None:
            run.record(scope, activity[0], **activity[1])
        uow.commit()

"""Opt-outs found in MailChimp reach the client directory and the activity log (R7, R10)."""

from __future__ import annotations

from calendarspots_mailchimp.core.model import ActivityKind, Client, LedgerEntry, MemberStatus
from calendarspots_mailchimp.core.services.sync.run import Run
from calendarspots_mailchimp.ports.repositories import TenantScope

Marked = tuple[str, MemberStatus, Client | None]


def mark_all(run: Run, opted_out: list[tuple[str, MemberStatus]]) -> list[Marked]:
    """Marks each address in the client directory; the client marked, if it is one of ours."""
    return [(email, status, _mark(run, email, status)) for email, status in opted_out]


def _mark(run: Run, email: str, status: MemberStatus) -> Client | None:
    if status == MemberStatus.UNSUBSCRIBED:
        return run.directory.mark_unsubscribed(run.tenant.tenant_id, email)
    return run.directory.mark_cleaned(run.tenant.tenant_id, email)


def tell(
    run: Run,
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
        run.counts.unsubscribed += 1
    else:
        run.counts.cleaned += 1
    run.record(
        scope,
        ActivityKind.CONTACT_UNSUBSCRIBED if unsubscribed else ActivityKind.CONTACT_CLEANED,
        email=email,
        client_id=client.client_id,
        source="sync",
    )

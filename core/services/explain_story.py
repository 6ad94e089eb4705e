"""Why one client is, or is not, in MailChimp as it is: a pure decision from what the platform
has, what the ledger remembers and what MailChimp says now — the same facts, and the same
per-client verdict, the sync itself goes by (sync/verdict.py). Codes only; the words are
entrypoints/messages.py's."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from calendarspots_mailchimp.core.model import (
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    Tenant,
    is_valid_email,
)
from calendarspots_mailchimp.core.services.sync.verdict import ACTIVE, Facts, Verdict, decide


class Story(StrEnum):
    NOT_CONNECTED = "not_connected"  # the tenant is not connected: nothing reaches MailChimp
    INVALID_EMAIL = "invalid_email"  # every sync skips the client until the address is fixed
    IN_AUDIENCE = "in_audience"  # detail: the member's status (subscribed, pending, ...)
    WILL_BE_SENT = "will_be_sent"  # not in MailChimp yet: the next sync adds it
    OPTED_OUT = "opted_out"  # detail: unsubscribed or cleaned, in MailChimp (R10)
    NOT_SUBSCRIBED_HERE = "not_subscribed_here"  # detail: the client database's status
    SUBSCRIBED_THERE_ONLY = "subscribed_there_only"  # opted out here, active in MailChimp
    LEFT_AUDIENCE = "left_audience"  # pushed before, gone from MailChimp at this address
    REFUSED = "refused"  # detail: MailChimp's refusal as the ledger keeps it (reason:detail)


class Next(StrEnum):
    """What the next sync will do with the client."""

    NOTHING = "nothing"  # the tenant is not connected
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"  # with the sync's own reason code


@dataclass(frozen=True)
class Explanation:
    story: Story
    detail: str = ""
    next: Next = Next.NOTHING
    next_reason: str = ""  # the sync's reason code when it skips (report.Reason, encoded)


def left_audience(entry: LedgerEntry | None, member: MemberStatus | None, live: bool) -> bool:
    """Pushed before and MailChimp no longer has it at this address (as sync/plan.py)."""
    if entry is None or entry.member_status is None:
        return False
    if live:
        return member is None or member == MemberStatus.ARCHIVED
    return entry.member_status == MemberStatus.ARCHIVED


def next_sync(verdict: Verdict) -> tuple[Next, str]:
    if verdict.skip is not None:
        code = f"{verdict.skip}:{verdict.detail}" if verdict.detail else str(verdict.skip)
        return Next.SKIP, code
    if verdict.send is not None:
        return (Next.UPDATE if verdict.existing else Next.ADD), ""
    return Next.UNCHANGED, ""


def explain(
    tenant: Tenant,
    client: Client,
    entry: LedgerEntry | None,
    member: MemberStatus | None,
    live: bool,
) -> Explanation:
    """`member`: MailChimp's status for the address read just now when `live` (None: not a
    member); when not `live` (not read), the ledger's last known status stands in for it."""
    if not tenant.connected:
        return Explanation(Story.NOT_CONNECTED, str(tenant.state))
    if not is_valid_email(client.email.strip()):
        return Explanation(Story.INVALID_EMAIL, next=Next.SKIP, next_reason="invalid_email")
    known = member if live else (entry.member_status if entry else None)
    gone = left_audience(entry, known, live)
    refused_before = (
        entry is not None and bool(entry.last_error) and entry.content_hash == client.content_hash()
    )
    new_status = MemberStatus.PENDING if tenant.double_opt_in else MemberStatus.SUBSCRIBED
    verdict = decide(Facts(client, entry, known, gone, refused_before, False, new_status))
    then, reason = next_sync(verdict)
    story, detail = _story(client, entry, known, gone, refused_before, then)
    return Explanation(story, detail, then, reason)


def _story(
    client: Client,
    entry: LedgerEntry | None,
    known: MemberStatus | None,
    gone: bool,
    refused_before: bool,
    then: Next,
) -> tuple[Story, str]:
    if known is not None and known.opted_out:
        return Story.OPTED_OUT, known.value
    if gone:
        return Story.LEFT_AUDIENCE, ""
    if client.newsletter != NewsletterStatus.SUBSCRIBED:
        if known in ACTIVE:
            return Story.SUBSCRIBED_THERE_ONLY, client.newsletter.value
        return Story.NOT_SUBSCRIBED_HERE, client.newsletter.value
    if refused_before and entry is not None:
        return Story.REFUSED, entry.last_error
    if known is None or known == MemberStatus.ARCHIVED or then == Next.ADD:
        return Story.WILL_BE_SENT, ""
    return Story.IN_AUDIENCE, known.value

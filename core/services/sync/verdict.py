"""What one client needs in MailChimp: a pure decision from what the platform has, what the
ledger remembers and what MailChimp's status is known to be (R6, R10; SPEC "What a sync
sends"). plan.py gathers those facts; nothing here reads or writes anything."""

from __future__ import annotations

from dataclasses import dataclass

from calendarspots_mailchimp.core.model import (
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
)
from calendarspots_mailchimp.core.services.sync.report import Reason
from calendarspots_mailchimp.ports.mailchimp import MemberWrite

ACTIVE = (MemberStatus.SUBSCRIBED, MemberStatus.PENDING)


@dataclass(frozen=True)
class Facts:
    client: Client
    entry: LedgerEntry | None  # what the ledger remembers of this client
    known: MemberStatus | None  # the member's status, if known (this run, else the ledger)
    left_audience: bool  # pushed before, and MailChimp no longer has it at this address
    refused_before: bool  # MailChimp refused exactly this content last time
    full: bool  # a full sync: send every client, ignoring the ledger's hashes
    new_status: MemberStatus  # what a new contact gets (pending with double opt-in)


@dataclass(frozen=True)
class Verdict:
    """Exactly one of: skip (with the reason), unchanged, or send."""

    skip: Reason | None = None
    detail: str = ""  # about the skip
    send: MemberWrite | None = None
    existing: bool = False  # the member exists in MailChimp (an update, not a creation)
    rewrite: bool = False  # it replaces content pushed before (see run.Write)

    @property
    def unchanged(self) -> bool:
        return self.skip is None and self.send is None


UNCHANGED = Verdict()


def decide(facts: Facts) -> Verdict:
    client, entry, known = facts.client, facts.entry, facts.known
    changed = entry is None or entry.content_hash != client.content_hash()
    if facts.left_audience:
        # Re-adding it would undo the owner's or the subscriber's own choice.
        return Verdict(skip=Reason.LEFT_AUDIENCE) if changed or facts.full else UNCHANGED
    if known is not None and known.opted_out:
        # R10: never re-subscribed; names are not pushed either (a cleaned member cannot be
        # edited at all, docs/mailchimp-api.md §4.3).
        skip = Verdict(skip=Reason.OPTED_OUT, detail=known.value)
        return skip if changed or facts.full else UNCHANGED
    if client.newsletter != NewsletterStatus.SUBSCRIBED and known not in ACTIVE:
        # Opted out in the client database and not active in MailChimp: never (re-)added.
        # Active in MailChimp (subscribed again through a MailChimp form): MailChimp holds
        # the consent, and the sync never sends an opt-out of its own.
        skip = Verdict(skip=Reason.NOT_SUBSCRIBED_HERE, detail=client.newsletter.value)
        return skip if changed else UNCHANGED
    if entry is not None and facts.refused_before:
        # Reported at every sync until the client's details change.
        return Verdict(skip=Reason.REFUSED_BEFORE, detail=entry.last_error)
    recorded = entry is not None and (entry.member_status is not None or bool(entry.last_error))
    if not changed and recorded and not facts.full:
        return UNCHANGED
    # An active member keeps its own status: the sync never changes consent. Anyone else
    # (new, archived, transactional) gets what a new contact gets (R10).
    status = known if known is not None and known in ACTIVE else facts.new_status
    merges = client.merge_fields()
    if known is None:
        # Nothing to clear on a member MailChimp does not have: empty values are left out
        # rather than sent as "" (ASSUMPTION: whether MailChimp takes "" for a birthday field
        # is unconfirmed, docs/mailchimp-api.md §10). An archived member coming back may hold old values,
        # so it gets them all.
        merges = {tag: value for tag, value in merges.items() if value}
    existing = known is not None and known != MemberStatus.ARCHIVED
    write = MemberWrite(client.email.strip(), status, merges)
    return Verdict(send=write, existing=existing, rewrite=entry is not None and changed)

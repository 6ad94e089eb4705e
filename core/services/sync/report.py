"""What a sync run tells its caller: facts, with reasons as codes (the words are
entrypoints/messages.py's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from calendarspots_mailchimp.core.model import SyncCounts, SyncKind, SyncStatus
from calendarspots_mailchimp.ports.mailchimp import MemberError, MemberErrorKind


class Failure(StrEnum):
    CONTRACT = "contract"  # the audience breaks R1/R2/R6
    AUDIENCE_GONE = "audience_gone"  # deleted during the sync (R6)
    REVOKED = "revoked"  # MailChimp refused the token
    MAILCHIMP = "mailchimp"  # MailChimp failed or could not be reached
    ERROR = "error"  # another error, in its own words
    DEADLINE = "deadline"  # the run passed its deadline and stopped between batches


class Reason(StrEnum):
    """Why a client was skipped or refused; `detail` says more (entrypoints/messages.py words
    both). Stored in the ledger as `reason:detail`, so a refusal is reported again the same way
    at every sync until the client's details change."""

    INVALID_EMAIL = "invalid_email"
    SAME_EMAIL = "same_email"  # another client has the same address
    OPTED_OUT = "opted_out"  # detail: unsubscribed or cleaned, as MailChimp has the member
    NOT_SUBSCRIBED_HERE = "not_subscribed_here"  # detail: the client database's status
    LEFT_AUDIENCE = "left_audience"  # archived, deleted or moved away in MailChimp
    REFUSED_BEFORE = "refused_before"  # detail: that earlier refusal, as stored
    FAKE_OR_INVALID = "fake_or_invalid"
    FORGOTTEN = "forgotten"  # permanently deleted in MailChimp
    BIRTHDAY_REFUSED = "birthday_refused"
    FIELD_REFUSED = "field_refused"  # detail: "FIELD: MailChimp's words"
    REFUSED = "refused"  # detail: MailChimp's words
    NO_RESULT = "no_result"  # MailChimp's answer did not mention the contact
    OLD_ADDRESS_KEPT = "old_address_kept"  # detail: why the old member could not be archived


@dataclass(frozen=True)
class ClientProblem:
    client_id: str
    email: str
    reason: Reason
    detail: str = ""

    @property
    def code(self) -> str:
        return encode(self.reason, self.detail)


def encode(reason: Reason, detail: str = "") -> str:
    return f"{reason}:{detail}" if detail else str(reason)


def decode(code: str) -> tuple[Reason, str] | None:
    """A stored `reason:detail`; None for a sentence stored before reasons were codes."""
    head, _, detail = code.partition(":")
    try:
        return Reason(head), detail
    except ValueError:
        return None


@dataclass
class SyncReport:
    tenant_id: str
    kind: SyncKind
    status: SyncStatus
    counts: SyncCounts
    error: str = ""  # a failed run: the error's code and facts (core.errors.coded)
    dry_run: bool = False
    api_calls: int = 0
    problems: list[ClientProblem] = field(default_factory=list)
    plan: dict[str, list[str]] = field(default_factory=dict)
    failure: Failure | None = None  # why a failed run failed
    webhook_problem: bool = False  # the webhook could not be put right (see the activity)
    held: dict[str, float | int] | None = None  # the mass change the guard stopped

    @property
    def ok(self) -> bool:
        return self.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)


def failed_report(
    tenant_id: str,
    kind: SyncKind,
    error: str,
    dry_run: bool,
    api_calls: int,
    failure: Failure,
) -> SyncReport:
    return SyncReport(
        tenant_id,
        kind,
        SyncStatus.FAILED,
        SyncCounts(),
        error,
        dry_run,
        api_calls,
        failure=failure,
    )


def refusal(error: MemberError) -> tuple[Reason, str]:
    """What MailChimp's refusal of a contact means."""
    kind, message, field_name = error.kind, error.message, error.field
    if kind == MemberErrorKind.FAKE_OR_INVALID:
        return Reason.FAKE_OR_INVALID, ""
    if kind == MemberErrorKind.FORGOTTEN:
        return Reason.FORGOTTEN, ""
    if kind == MemberErrorKind.MERGE_FIELDS:
        if field_name.upper().endswith("BIRTHDAY"):
            return Reason.BIRTHDAY_REFUSED, ""
        return Reason.FIELD_REFUSED, f"{field_name or '?'}: {message}"
    if kind == MemberErrorKind.COMPLIANCE_STATE:
        return Reason.OPTED_OUT, ""
    return Reason.REFUSED, message

"""What a sync run tells its caller, and MailChimp's refusals in a salon owner's words."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from calendarspots_mailchimp.core.model import MemberStatus, SyncCounts, SyncKind, SyncStatus
from calendarspots_mailchimp.core.services.sync.limits import MAX_DETAILS
from calendarspots_mailchimp.ports.mailchimp import MemberError, MemberErrorKind


class Failure(StrEnum):
    CONTRACT = "contract"  # the audience breaks R1/R2/R6
    REVOKED = "revoked"  # MailChimp refused the token
    MAILCHIMP = "mailchimp"  # MailChimp failed or could not be reached


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
    failure: Failure | None = None  # why a failed run failed

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


def failed_report(
    tenant_id: str,
    kind: SyncKind,
    message: str,
    dry_run: bool,
    api_calls: int,
    failure: Failure,
) -> SyncReport:
    return SyncReport(
        tenant_id,
        kind,
        SyncStatus.FAILED,
        SyncCounts(),
        message,
        dry_run,
        api_calls,
        failure=failure,
    )


def summary(counts: SyncCounts, dry_run: bool, webhook_problem: str) -> str:
    """The one-line outcome of a run that did not fail."""
    message = (
        f"{'Dry run: would send' if dry_run else 'Sync finished'}: {counts.created} added, "
        f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.skipped} skipped, "
        f"{counts.failed} failed"
    )
    if counts.unsubscribed or counts.cleaned:
        message += f"; {counts.unsubscribed} unsubscribed and {counts.cleaned} cleaned in MailChimp"
    if webhook_problem:
        message += ". The webhook is not installed: see the activity log"
    return message


def never_resubscribed(status: MemberStatus) -> str:
    return f"{status.value} in MailChimp: never re-subscribed"


def readable(error: MemberError) -> str:
    """What MailChimp's refusal means, in words a salon owner understands."""
    kind, message, field_name = error.kind, error.message, error.field
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

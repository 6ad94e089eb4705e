"""MailChimp error documents (problem+json, docs/mailchimp-api.md §7.2) mapped to the port's errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from calendarspots_mailchimp.ports.mailchimp import (
    MailChimpError,
    MemberError,
    MemberErrorKind,
    MemberRejected,
    TokenRevoked,
)

# Fields of a member write that are not merge fields: an error naming one of these is not a
# merge-field problem.
_MEMBER_FIELDS = frozenset({"email_address", "status", "status_if_new", "email_type"})


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    detail: str
    field_errors: tuple[tuple[str, str], ...] = ()


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or {}: 429/403 may come without a JSON body (§7.1)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def problem_of(response: httpx.Response) -> Problem:
    body = json_body(response)
    title = body.get("title")
    if not isinstance(title, str) or not title:
        title = response.reason_phrase or "HTTP error"
    detail = body.get("detail")
    if not isinstance(detail, str):
        detail = "" if body else _plain(response.text)
    field_errors: list[tuple[str, str]] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                field_errors.append((str(item.get("field") or ""), str(item.get("message") or "")))
    return Problem(response.status_code, title, detail, tuple(field_errors))


def _plain(text: str) -> str:
    """A non-JSON error body (often a proxy's HTML page) as one short line of text."""
    without_tags = re.sub(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", " ", text, flags=re.S | re.I)
    return " ".join(without_tags.split())[:200]


def merge_field_name(field: str) -> str:
    """`merge_fields.FNAME` (seen in §3) and `FNAME` both name the FNAME merge field."""
    return field.removeprefix("merge_fields.")


def kind_from_text(text: str) -> MemberErrorKind | None:
    """Recognises the terminal per-member refusals MailChimp words in its titles (§4.4)."""
    lowered = text.lower()
    if "compliance state" in lowered:
        return MemberErrorKind.COMPLIANCE_STATE
    if "looks fake or invalid" in lowered:
        return MemberErrorKind.FAKE_OR_INVALID
    if "forgotten email" in lowered or "permanently deleted" in lowered:
        return MemberErrorKind.FORGOTTEN
    if "member exists" in lowered or "already a list member" in lowered:
        return MemberErrorKind.EXISTS
    return None


def member_error(email: str, problem: Problem) -> MemberError:
    text = f"{problem.title}: {problem.detail}" if problem.detail else problem.title
    kind = kind_from_text(text)
    if kind is not None:
        return MemberError(email, kind, text)
    for field, message in problem.field_errors:
        if field and field not in _MEMBER_FIELDS:
            return MemberError(
                email, MemberErrorKind.MERGE_FIELDS, f"{text} ({message})", merge_field_name(field)
            )
    return MemberError(email, MemberErrorKind.OTHER, text)


def batch_member_error(item: dict[str, Any]) -> MemberError:
    """One entry of a batch subscribe's `errors[]` (§5.1)."""
    email = str(item.get("email_address") or "")
    error = str(item.get("error") or "")
    field = str(item.get("field") or "")
    field_message = str(item.get("field_message") or "")
    if item.get("error_code") == "ERROR_CONTACT_EXISTS":
        return MemberError(email, MemberErrorKind.EXISTS, error or "contact exists")
    kind = kind_from_text(error)
    if kind is not None:
        return MemberError(email, kind, error)
    if field or field_message:
        message = (
            f"{error} ({field_message})" if error and field_message else error or field_message
        )
        return MemberError(email, MemberErrorKind.MERGE_FIELDS, message, merge_field_name(field))
    return MemberError(email, MemberErrorKind.OTHER, error or "rejected by MailChimp")


def refused_facts(problem: Problem) -> dict[str, Any]:
    """A refusal's facts: the status and MailChimp's own (English) title and detail, which
    only English readers are shown (entrypoints/messages.py)."""
    return {"status": problem.status, "title": problem.title, "detail": problem.detail}


def error_for(problem: Problem, cls: type[MailChimpError] = MailChimpError) -> MailChimpError:
    if problem.status == 401:
        return TokenRevoked(problem.status, problem.title, problem.detail, code="revoked")
    return cls(
        problem.status,
        problem.title,
        problem.detail,
        code="mailchimp.refused",
        facts=refused_facts(problem),
    )


def unexpected(what: str) -> MailChimpError:
    """A 2xx answer the adapter cannot read: `what` (for logs) may quote the answer, so it is
    not a fact."""
    return MailChimpError(200, "Unexpected response", what, code="mailchimp.unexpected")


def rejection(email: str, problem: Problem) -> MemberRejected:
    return MemberRejected(
        problem.status,
        problem.title,
        problem.detail,
        member_error(email, problem),
        code="mailchimp.refused",
        facts=refused_facts(problem),
    )

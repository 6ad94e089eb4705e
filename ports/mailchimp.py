"""The MailChimp-facing port: OAuth, and one authorized account's audience operations.

Facts behind these shapes are in docs/mailchimp-api.md. The adapter maps MailChimp's
problem+json errors to the exceptions below; services never see HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from calendarspots_mailchimp.core.errors import coded
from calendarspots_mailchimp.core.model import MemberStatus, MergeField

__all__ = [
    "AccountMetadata",
    "AudienceNotFound",
    "AudienceSummary",
    "BatchResult",
    "MailChimpAccount",
    "MailChimpConnector",
    "MailChimpError",
    "MailChimpOAuth",
    "MailChimpUnavailable",
    "MemberError",
    "MemberErrorKind",
    "MemberRejected",
    "MemberState",
    "MemberWrite",
    "RateLimited",
    "TokenRevoked",
    "Webhook",
    "WebhookSpec",
]

# ---------------------------------------------------------------------------------------------
# Errors


class MailChimpError(Exception):
    """MailChimp answered with an error the adapter could not retry away.

    `code` and `facts` say what happened, as a CalendarspotsError's do (entrypoints/messages.py
    words them in the reader's language); the message (`str()`) is MailChimp's own answer, in
    English, for logs. Facts never carry a secret: no token, no client secret, no OAuth code,
    no OAuth error description (MailChimp's free text about them)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        code: str = "",
        facts: Mapping[str, Any] | None = None,
    ) -> None:
        # status 0: no HTTP answer at all (unreachable, timed out).
        head = f"HTTP {status} {title}" if status else title
        super().__init__(f"{head}: {detail}" if detail else head)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.facts: dict[str, Any] = dict(facts or {})

    @property
    def reason(self) -> str:
        """The error as it is stored: code and facts when it has a code, else its message."""
        return coded(self.code, self.facts) if self.code else str(self)


class TokenRevoked(MailChimpError):
    """401 (APIKeyInvalid) or metadata `invalid_token`: the owner de-authorized the app."""


class AudienceNotFound(MailChimpError):
    """404 on the audience itself: deleted (R6)."""


class RateLimited(MailChimpError):
    """429 still answered after every retry."""


class MailChimpUnavailable(MailChimpError):
    """5xx, timeouts or dropped connections still failing after every retry."""


class MemberErrorKind(StrEnum):
    COMPLIANCE_STATE = "compliance_state"  # unsubscribed/cleaned: cannot be subscribed (R10)
    FAKE_OR_INVALID = "fake_or_invalid"  # "looks fake or invalid"
    FORGOTTEN = "forgotten"  # permanently deleted, cannot be re-imported
    MERGE_FIELDS = "merge_fields"  # e.g. birthday not MM/DD
    EXISTS = "exists"  # ERROR_CONTACT_EXISTS without update_existing
    OTHER = "other"


@dataclass(frozen=True)
class MemberError:
    email: str
    kind: MemberErrorKind
    message: str
    field: str = ""


class MemberRejected(MailChimpError):
    """A single-member call refused for that member (terminal: record it, do not retry)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        error: MemberError,
        *,
        code: str = "",
        facts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(status, title, detail, code=code, facts=facts)
        self.error = error


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class AccountMetadata:
    dc: str
    api_endpoint: str
    account_name: str = ""
    login_email: str = ""


@dataclass(frozen=True)
class AudienceSummary:
    audience_id: str
    name: str
    member_count: int = 0


@dataclass(frozen=True)
class MemberWrite:
    """One member to add or update. `status` is what a *new* member gets, or, for a member
    the plugin knows to exist, its current status unchanged: never an opt-in for an opted-out
    member (R10; the service decides, the adapter only sends)."""

    email: str
    status: MemberStatus
    merge_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberState:
    email: str
    status: MemberStatus
    last_changed: datetime | None = None
    merge_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    errors: tuple[MemberError, ...] = ()
    unchanged: tuple[str, ...] = ()  # accepted but listed nowhere: nothing to change
    # The latest `last_changed` MailChimp gave the members it created or updated: when our
    # own writes happened, by MailChimp's clock (None when the answer does not say).
    last_changed: datetime | None = None


@dataclass(frozen=True)
class WebhookSpec:
    url: str
    events: frozenset[str]
    sources: frozenset[str]


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    url: str
    events: frozenset[str]
    sources: frozenset[str]

    def matches(self, spec: WebhookSpec) -> bool:
        return (self.url, self.events, self.sources) == (spec.url, spec.events, spec.sources)


# ---------------------------------------------------------------------------------------------
# Protocols


class MailChimpOAuth(Protocol):
    def authorize_url(self, redirect_uri: str, state: str) -> str: ...

    def exchange_code(self, code: str, redirect_uri: str) -> str:
        """Returns the access token (MailChimp tokens do not expire; no refresh token)."""

    def metadata(self, access_token: str) -> AccountMetadata:
        """Raises TokenRevoked for an invalid token."""


class MailChimpAccount(Protocol):
    """One authorized MailChimp account. Every method may raise TokenRevoked, RateLimited,
    MailChimpUnavailable or MailChimpError; audience methods raise AudienceNotFound."""

    @property
    def api_calls(self) -> int:
        """How many HTTP requests this account object has sent (retries included)."""

    def account_id(self) -> str:
        """MailChimp's id of the account (API root `account_id`): unlike its name, which the
        owner may edit, it tells one account from another."""

    def audiences(self) -> list[AudienceSummary]: ...

    def merge_fields(self, audience_id: str) -> list[MergeField]: ...

    def create_merge_field(self, audience_id: str, merge_field: MergeField) -> MergeField: ...

    def members(
        self,
        audience_id: str,
        status: MemberStatus | None = None,
        since_last_changed: datetime | None = None,
    ) -> Iterator[MemberState]:
        """Pages through the members (1,000 per call), lightest fields only."""

    def batch_subscribe(
        self, audience_id: str, batches: Iterable[Sequence[MemberWrite]]
    ) -> Iterator[tuple[Sequence[MemberWrite], BatchResult]]:
        """POST /lists/{id} with update_existing=true, ≤ 500 members per call, up to 10 calls
        in flight; yields each batch with its result as it completes."""

    def upsert_member(self, audience_id: str, member: MemberWrite) -> MemberState:
        """PUT with status_if_new only: an existing member's status is never touched."""

    def change_email(
        self, audience_id: str, old_email: str, new_email: str, merge_fields: dict[str, str]
    ) -> MemberState:
        """PATCH the member at old_email to new_email. Raises MemberRejected if refused."""

    def archive_member(self, audience_id: str, email: str) -> None: ...

    def get_member(self, audience_id: str, email: str) -> MemberState | None: ...

    def webhooks(self, audience_id: str) -> list[Webhook]: ...

    def create_webhook(self, audience_id: str, spec: WebhookSpec) -> Webhook: ...

    def update_webhook(self, audience_id: str, webhook_id: str, spec: WebhookSpec) -> Webhook: ...

    def delete_webhook(self, audience_id: str, webhook_id: str) -> None: ...

    def close(self) -> None: ...


class MailChimpConnector(Protocol):
    @property
    def oauth(self) -> MailChimpOAuth: ...

    def account(
        self, api_endpoint: str, access_token: str, account_id: str = ""
    ) -> MailChimpAccount:
        """`account_id`, when known, lets every token of one account share its connection
        limit."""

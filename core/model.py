"""Domain model: plain dataclasses and enums, no I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from calendarspots_mailchimp.core.activity import ActivityEntry as ActivityEntry
from calendarspots_mailchimp.core.activity import ActivityKind as ActivityKind
from calendarspots_mailchimp.core.emails import is_valid_email as is_valid_email
from calendarspots_mailchimp.core.emails import normalize_email as normalize_email
from calendarspots_mailchimp.core.emails import subscriber_hash as subscriber_hash
from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.validation import neutralise_formula
from calendarspots_mailchimp.core.validation import validate_timezone as validate_timezone

DEFAULT_LIST_NAME = "calendarspots"
LOCALES = ("fr", "en")  # Datedechoix.com reads French, calendarspots.com English
DEFAULT_LOCALE = "fr"


class ConnectionState(StrEnum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    NEEDS_REAUTHORIZATION = "needs_reauthorization"
    NEEDS_ATTENTION = "needs_attention"
    DISCONNECTED = "disconnected"  # the owner disconnected: no token, no webhook, no sync


class NewsletterStatus(StrEnum):
    """A client's newsletter status as the platform's client database keeps it."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    CLEANED = "cleaned"


class MemberStatus(StrEnum):
    """A member's status as MailChimp reports it."""

    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    CLEANED = "cleaned"
    PENDING = "pending"
    TRANSACTIONAL = "transactional"
    ARCHIVED = "archived"

    @property
    def opted_out(self) -> bool:
        """R10: such a member must never be (re-)subscribed by a sync."""
        return self in (MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED)


@dataclass(frozen=True)
class Birthday:
    """Month and day, with the year when the platform knows it. MailChimp keeps only MM/DD."""

    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        probe_year = self.year if self.year is not None else 2000  # 2000 is a leap year
        try:
            date(probe_year, self.month, self.day)
        except ValueError as exc:
            raise InvalidInput(
                f"impossible birthday {self.iso()!r}",
                code="birthday_impossible",
                facts={"birthday": self.iso()},
            ) from exc

    @classmethod
    def parse(cls, raw: str) -> Birthday | None:
        """Accepts YYYY-MM-DD or MM-DD; empty means unknown."""
        text = raw.strip()
        if not text:
            return None
        full = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if full:
            return cls(int(full.group(2)), int(full.group(3)), int(full.group(1)))
        short = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
        if short:
            return cls(int(short.group(1)), int(short.group(2)))
        raise InvalidInput(
            f"birthday {text!r} is not YYYY-MM-DD or MM-DD",
            code="birthday_format",
            facts={"birthday": text},
        )

    def mailchimp(self) -> str:
        """MailChimp's birthday merge value is always MM/DD (docs/mailchimp-api.md §3)."""
        return f"{self.month:02d}/{self.day:02d}"

    def iso(self) -> str:
        if self.year is None:
            return f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class Client:
    """A client as the platform's client database sees it."""

    client_id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    birthday: Birthday | None = None
    newsletter: NewsletterStatus = NewsletterStatus.SUBSCRIBED

    def merge_fields(self) -> dict[str, str]:
        # Always all three, empty when unknown, so a value removed in the platform is cleared
        # in MailChimp too (an empty merge value clears it; unconfirmed for birthday fields in
        # docs/mailchimp-api.md §10, accepted by the strictest doubles we tried).
        # Names are neutralised by the OWASP CSV-injection rule (core/validation.py): a name
        # starting with = + - @ tab or CR is sent with a leading apostrophe, because MailChimp
        # writes FNAME/LNAME verbatim into the audience export the owner opens in a
        # spreadsheet. The client database keeps the name as typed.
        return {
            "FNAME": neutralise_formula(self.first_name),
            "LNAME": neutralise_formula(self.last_name),
            "BIRTHDAY": self.birthday.mailchimp() if self.birthday else "",
        }

    def content_hash(self) -> str:
        """What the ledger remembers: a change here means the member must be pushed again."""
        payload = "\x1f".join(
            [
                self.email.lower(),
                neutralise_formula(self.first_name),  # as sent: a name sent raw before goes again
                neutralise_formula(self.last_name),
                self.birthday.mailchimp() if self.birthday else "",
            ]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    timezone: str
    list_name: str = DEFAULT_LIST_NAME
    double_opt_in: bool = False
    archive_removed_clients: bool = False
    state: ConnectionState = ConnectionState.NOT_CONNECTED
    state_reason: str = ""
    api_endpoint: str = ""
    account_name: str = ""
    account_id: str = ""  # MailChimp's id of the account (its name may be edited)
    audience_id: str = ""
    webhook_id: str = ""
    # Only a salt: the URL's secret is derived from it and the secret key (audience.py).
    webhook_salt: str = ""
    # While the webhook moves to a new address, the old salt, still accepted (audience.py).
    webhook_salt_previous: str = ""
    last_sync_at: datetime | None = None
    last_sync_local_date: date | None = None
    # The next sync reads back members MailChimp changed after this (sync/backfill.py).
    members_checked_at: datetime | None = None
    locale: str = DEFAULT_LOCALE  # the language of the owner's pages and activity
    # The mass-change guard's thresholds for this tenant; None: the settings' (fleet-wide).
    guard_update_percent: float | None = None
    guard_archive_percent: float | None = None
    # The attention state the host was last told of (csmc_attention_needed); "" for none.
    attention_notified: str = ""
    # The client directory's marker after the last successful sync: the next one reads only
    # the clients changed since (ports.client_directory.ChangeFeed); "" = read them all.
    clients_marker: str = ""

    @property
    def connected(self) -> bool:
        return self.state in (ConnectionState.CONNECTED, ConnectionState.NEEDS_ATTENTION)

    def with_state(self, state: ConnectionState, reason: str = "") -> Tenant:
        return replace(self, state=state, state_reason=reason)


@dataclass(frozen=True)
class MergeField:
    tag: str
    name: str
    type: str
    merge_id: int | None = None


@dataclass(frozen=True)
class Audience:
    audience_id: str
    name: str
    merge_fields: tuple[MergeField, ...] = ()


class SyncKind(StrEnum):
    INITIAL = "initial"
    NIGHTLY = "nightly"
    MANUAL = "manual"
    FULL = "full"


class SyncStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    HELD = "held"  # the mass-change guard stopped it before anything was sent


@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    unsubscribed: int = 0
    cleaned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class SyncRun:
    tenant_id: str
    kind: SyncKind
    started_at: datetime
    status: SyncStatus = SyncStatus.RUNNING
    finished_at: datetime | None = None
    counts: SyncCounts = field(default_factory=SyncCounts)
    message: str = ""
    run_id: int | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """What was last pushed to MailChimp for one client, and the member's last known status."""

    client_id: str
    email: str
    content_hash: str
    member_status: MemberStatus | None = None
    last_error: str = ""

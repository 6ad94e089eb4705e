"""Domain and MailChimp errors -> HTTP statuses and CLI exit codes, in one place each."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from calendarspots_mailchimp.core.errors import (
    AlreadyExists,
    AudienceContractError,
    AuthorizationError,
    CalendarspotsError,
    ConfigurationError,
    InvalidInput,
    LinkSpent,
    NotConnected,
    NotFound,
    SyncFailed,
    SyncHeld,
    SyncInProgress,
    TooSoon,
    Unauthorized,
)
from calendarspots_mailchimp.entrypoints.i18n import translate
from calendarspots_mailchimp.entrypoints.messages import error_text, error_words
from calendarspots_mailchimp.ports.mailchimp import MailChimpError

# (exception type, CLI exit code, HTTP status); first match wins, so subclasses come first.
_TABLE: tuple[tuple[type[BaseException], int, int], ...] = (
    (InvalidInput, 2, 400),
    (NotFound, 3, 404),
    (AlreadyExists, 3, 409),
    (ConfigurationError, 4, 500),
    (NotConnected, 5, 409),
    (AudienceContractError, 6, 409),
    (AuthorizationError, 7, 400),
    (LinkSpent, 7, 410),
    (SyncInProgress, 8, 409),
    (TooSoon, 8, 429),
    (Unauthorized, 9, 401),
    (MailChimpError, 10, 502),
    (SyncFailed, 11, 502),
    (SyncHeld, 12, 409),
    (CalendarspotsError, 1, 500),
)


def exit_code(exc: BaseException) -> int:
    for kind, code, _ in _TABLE:
        if isinstance(exc, kind):
            return code
    return 1


def http_status(exc: BaseException) -> int:
    for kind, _, status in _TABLE:
        if isinstance(exc, kind):
            return status
    return 500


def one_line(exc: BaseException, lang: str = "en") -> str:
    """The error on one line, in `lang` when it has a code (entrypoints/messages.py)."""
    if isinstance(exc, StatementError):
        text = _database_failure(exc, lang)
    else:
        text = error_text(exc, lang)
    return " ".join(text.split()) or type(exc).__name__


def _database_failure(exc: StatementError, lang: str) -> str:
    """A database error without its statement or parameters (which hold clients' details):
    the driver's error class, and for a lost or refused connection its first line."""
    orig = exc.orig
    if isinstance(exc, OperationalError | InterfaceError) and orig is not None:
        first = (str(orig).strip().splitlines() or [""])[0][:200]
        return error_words("database.failed", {"error": first}, translate(lang))
    kind = type(orig or exc).__name__
    return error_words("database.refused", {"kind": kind}, translate(lang))

"""Errors the domain raises. Entry points map them to HTTP statuses and CLI exit codes in one place each."""

from __future__ import annotations


class CalendarspotsError(Exception):
    """Base class: every error here carries a message a business owner or operator can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CalendarspotsError):
    """Bad input from a person (CLI argument, CSV row, form field)."""


class NotFound(CalendarspotsError):
    """A tenant, client or record that does not exist."""


class AlreadyExists(CalendarspotsError):
    """Something that must be unique already exists."""


class ConfigurationError(CalendarspotsError):
    """A required setting is missing or wrong."""


class NotConnected(CalendarspotsError):
    """The tenant has no MailChimp authorization (or it was revoked)."""


class AudienceContractError(CalendarspotsError):
    """R1/R2/R6: the MailChimp audience is missing, duplicated, renamed or lacks merge fields."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class AuthorizationError(CalendarspotsError):
    """OAuth went wrong: refused, bad state, failed code exchange."""


class SyncInProgress(CalendarspotsError):
    """Another process holds this tenant's sync lease."""


class SyncFailed(CalendarspotsError):
    """A sync (or a night of them) ended in failure; the report says why."""


class SyncHeld(CalendarspotsError):
    """The mass-change guard held a sync: nothing was sent until an operator confirms."""


class TooSoon(CalendarspotsError):
    """An action repeated before it may be (a second "sync now" within 15 minutes)."""

    def __init__(self, message: str, minutes: int = 0) -> None:
        super().__init__(message)
        self.minutes = minutes  # how long to wait, rounded up


class Unauthorized(CalendarspotsError):
    """Admin or host authentication missing or wrong."""

"""Errors the domain raises. Entry points map them to HTTP statuses and CLI exit codes in one place each."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_CODE = re.compile(r"[a-z][a-z0-9_.-]*")


def coded(code: str, facts: Mapping[str, Any]) -> str:
    """A reason as it is stored and passed on (a tenant's state_reason, a failed sync's error):
    its code and facts, which the entry points word in the reader's language."""
    return f"{code} {json.dumps(dict(facts), sort_keys=True, ensure_ascii=False)}"


def decoded(text: str) -> tuple[str, dict[str, Any]] | None:
    """`coded`'s code and facts back; None for anything else (a sentence stored before)."""
    code, space, rest = text.partition(" ")
    if not space or not rest.startswith("{") or not _CODE.fullmatch(code):
        return None
    try:
        facts = json.loads(rest)
    except ValueError:
        return None
    return (code, facts) if isinstance(facts, dict) else None


class CalendarspotsError(Exception):
    """Base class. `code` and `facts` say what happened (entrypoints/messages.py words them for
    the reader, in English or French); `message` is the same in English, for logs and for an
    error that has no code yet."""

    def __init__(
        self, message: str, *, code: str = "", facts: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.facts: dict[str, Any] = dict(facts or {})

    @property
    def reason(self) -> str:
        """The error as it is stored: code and facts when it has a code, else its message."""
        return coded(self.code, self.facts) if self.code else self.message


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

    def __init__(
        self,
        message: str,
        problems: tuple[str, ...] = (),
        *,
        code: str = "",
        facts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, facts=facts)
        self.problems = problems


class AuthorizationError(CalendarspotsError):
    """OAuth went wrong: refused, bad state, failed code exchange."""


class LinkSpent(CalendarspotsError):
    """A one-use link we issued (its signature holds, for this tenant) that was used already
    (`link.used`) or has expired (`link.expired`); `link` says which: `start` (`connect`) or
    `owner` (`owner-link`), and `minutes` how long such a link lasts. Only such a link is told
    so: any other link is NotFound, like an unknown tenant."""

    def __init__(self, link: str, used: bool, minutes: int) -> None:
        what = "was used already" if used else "has expired"
        super().__init__(
            f"this link {what}: ask for a new one",
            code="link.used" if used else "link.expired",
            facts={"link": link, "minutes": minutes},
        )
        self.link = link
        self.used = used
        self.minutes = minutes


class SyncInProgress(CalendarspotsError):
    """Another process holds this tenant's sync lease."""


class SyncFailed(CalendarspotsError):
    """A sync (or a night of them) ended in failure; the report says why."""


class SyncHeld(CalendarspotsError):
    """The mass-change guard held a sync: nothing was sent until an operator confirms."""


class TooSoon(CalendarspotsError):
    """An action repeated before it may be (a second "sync now" within 15 minutes)."""

    def __init__(self, message: str, minutes: int = 0) -> None:
        super().__init__(message, code="too_soon", facts={"minutes": minutes})
        self.minutes = minutes  # how long to wait, rounded up


class Unauthorized(CalendarspotsError):
    """Admin or host authentication missing or wrong."""

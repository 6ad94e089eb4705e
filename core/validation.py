"""What the plugin accepts from people, in one place: the CSV import, `tenants add` and the
HTTP routes all ask here, so SQLite and PostgreSQL never see a value one of them would refuse
(PostgreSQL refuses NUL in text; its b-tree indexes refuse very long keys).

The limits (README "Limits on what people type"):
- email: at most 254 characters (RFC 5321's path limit; MailChimp's too);
- client_id: at most 100 characters;
- first and last name: at most 100 characters each (MailChimp's text merge fields hold 255);
- tenant id: 1–64 letters, digits, '.', '_' or '-', starting with a letter or a digit;
- no value holds a control character (Unicode category Cc: NUL, tab, CR, LF, ESC, DEL, C1).
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendarspots_mailchimp.core.errors import InvalidInput

EMAIL_MAX = 254
CLIENT_ID_MAX = 100
NAME_MAX = 100
TENANT_ID_MAX = 64
TEXT_MAX = 1_000  # any other value a route or a person hands us (an activity kind, a token)

_TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a terminal or a log viewer would obey or hide: control characters, and the bidi
# overrides and isolates that reorder what follows them (Trojan Source).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# OWASP CSV injection: a cell starting with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets (=, +, -, @, and tab or CR, which some of them skip first).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


class Problem(str):
    """Why a value cannot be stored: the English sentence (the str itself), with its code and
    facts, which entrypoints/messages.py words in the reader's language."""

    code: str
    facts: dict[str, Any]

    def __new__(cls, text: str, code: str, facts: dict[str, Any]) -> Problem:
        problem = super().__new__(cls, text)
        problem.code, problem.facts = code, facts
        return problem

    @property
    def text(self) -> str:
        return str(self)


def text_problem(what: str, value: str, limit: int) -> Problem | None:
    """Why `value` cannot be stored as `what` (a CSV column, "the tenant's name"), or None."""
    if has_control(value):
        return Problem(f"{what} holds a control character", "text.control", {"field": what})
    if len(value) > limit:
        facts = {"field": what, "limit": limit}
        return Problem(f"{what} is longer than {limit} characters", "text.long", facts)
    return None


def client_field_problems(
    email: str, client_id: str, first_name: str, last_name: str
) -> list[Problem]:
    """Every reason a client's fields cannot be stored (empty when they can)."""
    checks = (
        ("email", email, EMAIL_MAX),
        ("client_id", client_id, CLIENT_ID_MAX),
        ("first_name", first_name, NAME_MAX),
        ("last_name", last_name, NAME_MAX),
    )
    return [p for what, value, limit in checks if (p := text_problem(what, value, limit))]


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as 'America/Montreal'",
            code="timezone",
            facts={"zone": name},
        ) from exc
    return name


def is_tenant_id(value: str) -> bool:
    """True for an id a tenant may have; anything else names no tenant (a 404, exit 3)."""
    return _TENANT_ID.fullmatch(value) is not None


def check_tenant_id(value: str) -> str:
    if not is_tenant_id(value):
        raise InvalidInput(
            f"tenant id {quoted(value)} is not valid: 1-64 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit",
            code="tenant_id",
            facts={"tenant": quoted(value)},
        )
    return value


def is_route_text(value: str) -> bool:
    """A path segment or query value a route may read: no control character, not huge."""
    return not has_control(value) and len(value) <= TEXT_MAX


def quoted(text: str, limit: int = 80) -> str:
    """`text` quoted for an error message: control characters escaped (repr), cut at `limit`."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def printable(text: str) -> str:
    """`text` with every control or bidi character written as an escape (`\\x1b`, `\\n`,
    `\\u202e`), for a terminal or a log line: what is shown is what is stored, and nothing
    shown can move the cursor, forge a line or recolour the screen."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise_formula(cell: str) -> str:
    """The OWASP CSV-injection rule: a cell that starts with =, +, -, @, tab or CR gets a
    leading apostrophe, so a spreadsheet shows it as text instead of running it. Applied to
    what leaves the plugin for a spreadsheet's reach (MailChimp's FNAME/LNAME, which its
    audience export writes to CSV, and `clients list`); the client database keeps the value
    as the owner typed it."""
    if cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell

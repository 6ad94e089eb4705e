"""CSV rows into clients: each bad row reported with its line number, never fatal."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Birthday, Client, is_valid_email, normalize_email

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "birthday")
OPTIONAL_COLUMNS = ("client_id",)
EXPECTED_HEADER = "email,first_name,last_name,birthday[,client_id]"


@dataclass(frozen=True)
class RowError:
    """`code` and `facts` say what is wrong (entrypoints/messages.py words them); `reason` is
    the same in English."""

    line: int
    reason: str
    kept: bool = False  # a warning: the row landed anyway
    code: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class ParsedRow:
    line: int
    client: Client


def _header(reader: Iterable[list[str]]) -> list[str]:
    try:
        header = [h.strip().lower().removeprefix("\ufeff") for h in next(iter(reader))]
    except StopIteration:
        raise InvalidInput(f"the CSV file is empty: expected a header {EXPECTED_HEADER}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"the CSV header lacks {', '.join(missing)}: expected {EXPECTED_HEADER}")
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(f"the CSV header has unknown column(s) {', '.join(unknown)}")
    return header


class _Rows:
    """Reads one row at a time, remembering the addresses and ids seen so far."""

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        self.index = {name: header.index(name) for name in header}
        self.seen_emails: dict[str, int] = {}
        self.seen_ids: dict[str, int] = {}

    def read(self, line: int, row: list[str]) -> tuple[ParsedRow | None, list[RowError]]:
        """The row's client (None for a row skipped) and its problems."""
        if len(row) != self.width:
            facts = {"expected": self.width, "found": len(row)}
            why = f"expected {self.width} columns, found {len(row)}"
            return None, [RowError(line, why, code="row.columns", facts=facts)]
        index = self.index
        email = normalize_email(row[index["email"]])
        if not email:
            return None, [RowError(line, "email is empty", code="row.no_email")]
        problems = []
        if not is_valid_email(email):
            # Kept: the client exists in the business's database whatever its address; the
            # sync skips and reports it (SPEC: "skipped and reported, not fatal") until fixed.
            problems.append(
                RowError(
                    line,
                    f"invalid email address {email!r}: kept, the sync skips this client until "
                    "the address is fixed",
                    kept=True,
                    code="row.invalid_email",
                    facts={"email": email},
                )
            )
        try:
            birthday = Birthday.parse(row[index["birthday"]])
        except InvalidInput as exc:
            error = RowError(line, exc.message, code=exc.code, facts=exc.facts)
            return None, [*problems, error]
        key = email.lower()
        if key in self.seen_emails:
            first = self.seen_emails[key]
            return None, [
                *problems,
                RowError(
                    line,
                    f"duplicate email {email!r} (first on line {first})",
                    code="row.same_email",
                    facts={"email": email, "first": first},
                ),
            ]
        client_id = row[index["client_id"]].strip() if "client_id" in index else ""
        if client_id and client_id in self.seen_ids:
            first = self.seen_ids[client_id]
            why = f"duplicate client_id {client_id!r} (first on line {first})"
            same = {"client": client_id, "first": first}
            return None, [*problems, RowError(line, why, code="row.same_id", facts=same)]
        self.seen_emails[key] = line
        if client_id:
            self.seen_ids[client_id] = line
        client = Client(
            client_id=client_id,
            email=email,
            first_name=row[index["first_name"]].strip(),
            last_name=row[index["last_name"]].strip(),
            birthday=birthday,
        )
        return ParsedRow(line, client), problems


def parse_rows(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    """Good rows become clients with their line number; each bad row is reported with its line
    number (the header is line 1) and skipped."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows = _Rows(_header(reader))
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    while True:
        # A quoted field may span lines: the row is reported at the line it starts on.
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            facts = {"error": str(exc)}
            errors.append(
                RowError(line, f"unreadable CSV row ({exc})", code="row.unreadable", facts=facts)
            )
            continue
        if not any(cell.strip() for cell in row):
            continue
        client, problems = rows.read(line, row)
        errors.extend(problems)
        if client is not None:
            parsed.append(client)
    return parsed, errors


def parse_csv(text: str) -> tuple[list[Client], list[RowError]]:
    """Clients, and every problem (warnings for kept rows have `kept`)."""
    rows, errors = parse_rows(text)
    return [row.client for row in rows], errors

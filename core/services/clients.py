"""The embedded client directory's CSV import (used when no host platform plugs in its own)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Birthday, Client, is_valid_email, normalize_email
from calendarspots_mailchimp.core.services.deps import Deps, get_tenant

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "birthday")
OPTIONAL_COLUMNS = ("client_id",)
EXPECTED_HEADER = "email,first_name,last_name,birthday[,client_id]"
CHUNK = 1_000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    kept: bool = False  # a warning: the row landed anyway

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class ParsedRow:
    line: int
    client: Client


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def rows_ok(self) -> int:
        return self.added + self.updated

    def as_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": len(self.errors),
            "errors": [e.as_json() for e in self.errors],
            "warnings": [w.as_json() for w in self.warnings],
        }


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


def parse_rows(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    """Good rows become clients with their line number; each bad row is reported with its line
    number (the header is line 1) and skipped."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = _header(reader)
    index = {name: header.index(name) for name in header}
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    seen_emails: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    while True:
        # A quoted field may span lines: the row is reported at the line it starts on.
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, f"unreadable CSV row ({exc})"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(RowError(line, f"expected {len(header)} columns, found {len(row)}"))
            continue
        email = normalize_email(row[index["email"]])
        if not email:
            errors.append(RowError(line, "email is empty"))
            continue
        if not is_valid_email(email):
            # Kept: the client exists in the business's database whatever its address; the
            # sync skips and reports it (SPEC: "skipped and reported, not fatal") until fixed.
            errors.append(
                RowError(
                    line,
                    f"invalid email address {email!r}: kept, the sync skips this client until "
                    "the address is fixed",
                    kept=True,
                )
            )
        try:
            birthday = Birthday.parse(row[index["birthday"]])
        except InvalidInput as exc:
            errors.append(RowError(line, exc.message))
            continue
        key = email.lower()
        if key in seen_emails:
            errors.append(
                RowError(line, f"duplicate email {email!r} (first on line {seen_emails[key]})")
            )
            continue
        client_id = row[index["client_id"]].strip() if "client_id" in index else ""
        if client_id and client_id in seen_ids:
            errors.append(
                RowError(
                    line, f"duplicate client_id {client_id!r} (first on line {seen_ids[client_id]})"
                )
            )
            continue
        seen_emails[key] = line
        if client_id:
            seen_ids[client_id] = line
        client = Client(
            client_id=client_id,
            email=email,
            first_name=row[index["first_name"]].strip(),
            last_name=row[index["last_name"]].strip(),
            birthday=birthday,
        )
        parsed.append(ParsedRow(line, client))
    return parsed, errors


def parse_csv(text: str) -> tuple[list[Client], list[RowError]]:
    """Clients, and every problem (warnings for kept rows have `kept`)."""
    rows, errors = parse_rows(text)
    return [row.client for row in rows], errors


class _Addresses:
    """Who holds which address while the import runs, row by row, under the store's own rule
    (ports.repositories.ClientStore.upsert: by client_id, else by email, case-insensitive). A
    row that would take an address another client keeps is caught here, so it is reported
    alone instead of the store refusing the whole import."""

    def __init__(self, stored: Iterable[Client]) -> None:
        self.email_of: dict[str, str] = {}
        self.holder_of: dict[str, str] = {}
        for client in stored:
            email = normalize_email(client.email).lower()
            self.email_of[client.client_id] = email
            self.holder_of[email] = client.client_id

    def take(self, client: Client) -> str | None:
        """Records the row's effect; returns the id of the client that already holds the
        address when the row cannot have it (and then records nothing)."""
        email = client.email.lower()
        target = client.client_id if client.client_id in self.email_of else None
        if target is None:
            target = self.holder_of.get(email)
        if target is None:
            # No stored id can start with NUL: a new client without an id gets a key of its own.
            key = client.client_id or f"\x00{email}"
            self.email_of[key] = email
            self.holder_of[email] = key
            return None
        holder = self.holder_of.get(email)
        if holder is not None and holder != target:
            return holder
        previous = self.email_of[target]
        if previous != email:
            del self.holder_of[previous]
            self.holder_of[email] = target
            self.email_of[target] = email
        return None


def _without_conflicts(
    rows: list[ParsedRow], stored: Iterable[Client]
) -> tuple[list[Client], list[RowError]]:
    addresses = _Addresses(stored)
    clients: list[Client] = []
    errors: list[RowError] = []
    for row in rows:
        holder = addresses.take(row.client)
        if holder is None:
            clients.append(row.client)
        else:
            errors.append(
                RowError(
                    row.line,
                    f"client_id {row.client.client_id!r} cannot take {row.client.email!r}: "
                    f"client {holder!r} already has that address",
                )
            )
    return clients, errors


def import_clients(deps: Deps, tenant_id: str, data: bytes) -> ImportReport:
    get_tenant(deps, tenant_id)
    store = deps.client_store
    if store is None:
        raise InvalidInput("a host platform provides this tenant's clients: nothing to import")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the CSV file is not UTF-8 (byte {exc.start}): save it as UTF-8"
        ) from exc
    rows, problems = parse_rows(text)
    clients, conflicts = _without_conflicts(rows, store.all(tenant_id))
    errors = [p for p in problems if not p.kept] + conflicts
    report = ImportReport(
        errors=sorted(errors, key=lambda e: e.line),
        warnings=[p for p in problems if p.kept],
    )
    for start in range(0, len(clients), CHUNK):
        added, updated = store.upsert(tenant_id, clients[start : start + CHUNK])
        report.added += added
        report.updated += updated
    return report

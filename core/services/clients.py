"""The embedded client directory's CSV import (used when no host platform plugs in its own)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Birthday, Client, is_valid_email, normalize_email
from calendarspots_mailchimp.core.services.deps import Deps, get_tenant

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "birthday")
OPTIONAL_COLUMNS = ("client_id",)
CHUNK = 1_000


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows_ok(self) -> int:
        return self.added + self.updated


def parse_csv(text: str) -> tuple[list[Client], list[RowError]]:
    """Good rows become clients; each bad row is reported with its line number (the header is
    line 1) and skipped."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower().removeprefix("\ufeff") for h in next(reader)]
    except StopIteration:
        raise InvalidInput(
            "the CSV file is empty: expected a header "
            "email,first_name,last_name,birthday[,client_id]"
        ) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            f"the CSV header lacks {', '.join(missing)}: expected "
            "email,first_name,last_name,birthday[,client_id]"
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(f"the CSV header has unknown column(s) {', '.join(unknown)}")
    index = {name: header.index(name) for name in header}
    clients: list[Client] = []
    errors: list[RowError] = []
    seen_emails: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
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
            errors.append(RowError(line, f"invalid email address {email!r}"))
            continue
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
        clients.append(
            Client(
                client_id=client_id,
                email=email,
                first_name=row[index["first_name"]].strip(),
                last_name=row[index["last_name"]].strip(),
                birthday=birthday,
            )
        )
    return clients, errors


def import_clients(deps: Deps, tenant_id: str, data: bytes) -> ImportReport:
    get_tenant(deps, tenant_id)
    if deps.client_store is None:
        raise InvalidInput("a host platform provides this tenant's clients: nothing to import")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the CSV file is not UTF-8 (byte {exc.start}): save it as UTF-8"
        ) from exc
    clients, errors = parse_csv(text)
    report = ImportReport(errors=errors)
    for start in range(0, len(clients), CHUNK):
        added, updated = deps.client_store.upsert(tenant_id, clients[start : start + CHUNK])
        report.added += added
        report.updated += updated
    return report

"""The embedded client directory: CSV import and listing (used when no host platform plugs in
its own)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client, normalize_email
from calendarspots_mailchimp.core.services.client_rows import ParsedRow, RowError, parse_rows
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.repositories import ClientStore, UnitOfWorkFactory

CHUNK = 1_000


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
        if target is None and client.client_id and email in self.holder_of:
            return self.holder_of[email]  # a new client_id cannot take a kept address
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
                    code="row.address_taken",
                    facts={
                        "client": row.client.client_id,
                        "email": row.client.email,
                        "holder": holder,
                    },
                )
            )
    return clients, errors


class Clients:
    """The embedded client directory: CSV import and listing."""

    def __init__(
        self, uow: UnitOfWorkFactory, store: ClientStore, directory: ClientDirectory
    ) -> None:
        self.uow = uow
        self.store = store
        self.directory = directory

    def list(self, tenant_id: str) -> list[Client]:
        load_tenant(self.uow, tenant_id)
        return sorted(self.directory.clients(tenant_id), key=lambda c: c.email.lower())

    def import_csv(self, tenant_id: str, data: bytes) -> ImportReport:
        load_tenant(self.uow, tenant_id)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"the CSV file is not UTF-8 (byte {exc.start}): save it as UTF-8"
            ) from exc
        rows, problems = parse_rows(text)
        clients, conflicts = _without_conflicts(rows, self.store.all(tenant_id))
        errors = [p for p in problems if not p.kept] + conflicts
        report = ImportReport(
            errors=sorted(errors, key=lambda e: e.line),
            warnings=[p for p in problems if p.kept],
        )
        for start in range(0, len(clients), CHUNK):
            added, updated = self.store.upsert(tenant_id, clients[start : start + CHUNK])
            report.added += added
            report.updated += updated
        return report

"""The embedded client directory: CSV import and listing (used when no host platform plugs in
its own)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from calendarspots_mailchimp.core.errors import CalendarspotsError
from calendarspots_mailchimp.core.model import Client, normalize_email
from calendarspots_mailchimp.core.services.client_rows import (
    Opener,
    ParsedRow,
    RowError,
    read_rows,
)
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
    rows: Sequence[ParsedRow], stored: Iterable[Client]
) -> tuple[list[ParsedRow], list[RowError]]:
    addresses = _Addresses(stored)
    kept: list[ParsedRow] = []
    errors: list[RowError] = []
    for row in rows:
        holder = addresses.take(row.client)
        if holder is None:
            kept.append(row)
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
    return kept, errors


def _opener(data: bytes | Opener) -> Opener:
    if isinstance(data, bytes):
        return lambda: io.BytesIO(data)
    return data


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

    def import_csv(self, tenant_id: str, data: bytes | Opener) -> ImportReport:
        """Streams the file (`data`, or a callable that opens it, read twice) and writes it in
        chunks of CHUNK rows, each in its own transaction, in file order: a chunk sees what the
        chunks before it stored, so an address freed earlier in the file may be taken later.
        A row is refused alone (its line and why); the others land."""
        load_tenant(self.uow, tenant_id)
        report = ImportReport()
        chunk: list[ParsedRow] = []
        for item in read_rows(_opener(data)):
            if isinstance(item, RowError):
                (report.warnings if item.kept else report.errors).append(item)
                continue
            chunk.append(item)
            if len(chunk) >= CHUNK:
                self._write(tenant_id, chunk, report)
                chunk = []
        if chunk:
            self._write(tenant_id, chunk, report)
        report.errors.sort(key=lambda e: e.line)
        return report

    def _write(self, tenant_id: str, rows: Sequence[ParsedRow], report: ImportReport) -> None:
        ids = {row.client.client_id for row in rows if row.client.client_id}
        emails = {row.client.email.lower() for row in rows}
        stored = self.store.holders(tenant_id, sorted(ids), sorted(emails))
        kept, conflicts = _without_conflicts(rows, stored)
        report.errors.extend(conflicts)
        try:
            added, updated = self.store.upsert(tenant_id, [row.client for row in kept])
        except CalendarspotsError:
            added, updated = self._one_by_one(tenant_id, kept, report)
        report.added += added
        report.updated += updated

    def _one_by_one(
        self, tenant_id: str, rows: Sequence[ParsedRow], report: ImportReport
    ) -> tuple[int, int]:
        """A chunk the store refused: each row alone, so only the rows at fault are skipped."""
        added = updated = 0
        for row in rows:
            try:
                one_added, one_updated = self.store.upsert(tenant_id, [row.client])
            except CalendarspotsError as exc:
                report.errors.append(
                    RowError(row.line, exc.message, code=exc.code, facts=exc.facts)
                )
                continue
            added += one_added
            updated += one_updated
        return added, updated

"""LedgerRepository: per-client memory of the last push, built for 100,000-client tenants."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.dialects import (
    IN_CHUNK,
    WRITE_CHUNK,
    chunked,
    insert_for,
    one_of,
)
from calendarspots_mailchimp.adapters.persistence.mapping import ledger_from
from calendarspots_mailchimp.adapters.persistence.records import LedgerRecord, table_of
from calendarspots_mailchimp.core.model import LedgerEntry, MemberStatus

_ENTRY_COLUMNS = (
    LedgerRecord.client_id,
    LedgerRecord.email,
    LedgerRecord.content_hash,
    LedgerRecord.member_status,
    LedgerRecord.last_error,
)
_UPDATED_ON_CONFLICT = (
    "email",
    "email_lower",
    "content_hash",
    "member_status",
    "last_error",
    "updated_at",
)


class SqlLedgerRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._mine = LedgerRecord.tenant_id == tenant_id

    def get_many(self, client_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        found: dict[str, LedgerEntry] = {}
        for chunk in chunked(dict.fromkeys(client_ids), IN_CHUNK):
            wanted = one_of(self._session, LedgerRecord.client_id, chunk)
            stmt = select(*_ENTRY_COLUMNS).where(self._mine, wanted)
            for row in self._session.execute(stmt):
                entry = ledger_from(row)
                found[entry.client_id] = entry
        return found

    def find_by_email(self, email: str) -> LedgerEntry | None:
        stmt = (
            select(*_ENTRY_COLUMNS)
            .where(self._mine, LedgerRecord.email_lower == email.strip().lower())
            .order_by(LedgerRecord.client_id)
            .limit(1)
        )
        row = self._session.execute(stmt).first()
        return ledger_from(row) if row is not None else None

    def member_statuses(self, emails: Iterable[str]) -> dict[str, MemberStatus | None]:
        found: dict[str, MemberStatus | None] = {}
        wanted_emails = dict.fromkeys(e.strip().lower() for e in emails)
        for chunk in chunked(wanted_emails, IN_CHUNK):
            wanted = one_of(self._session, LedgerRecord.email_lower, chunk)
            stmt = select(LedgerRecord.email_lower, LedgerRecord.member_status).where(
                self._mine, wanted
            )
            for email_lower, status in self._session.execute(stmt):
                found[email_lower] = MemberStatus(status) if status else None
        return found

    def all_client_ids(self) -> set[str]:
        return set(self._session.scalars(select(LedgerRecord.client_id).where(self._mine)))

    def refused_ids(self) -> set[str]:
        # Spelled as the partial index's own predicate (a bound "" would not use the index).
        refused = text("ledger.last_error <> ''")
        stmt = select(LedgerRecord.client_id).where(self._mine, refused)
        return set(self._session.scalars(stmt))

    def count(self) -> int:
        stmt = select(func.count()).select_from(LedgerRecord).where(self._mine)
        return int(self._session.scalar(stmt) or 0)

    def upsert_many(self, entries: Iterable[LedgerEntry]) -> None:
        table = table_of(LedgerRecord)
        stmt = insert_for(self._session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.tenant_id, table.c.client_id],
            set_={name: stmt.excluded[name] for name in _UPDATED_ON_CONFLICT},
        )
        now = datetime.now(UTC)
        for chunk in chunked(entries, WRITE_CHUNK):
            # Last one wins within a chunk: PostgreSQL refuses to update one row twice in a
            # single INSERT ... ON CONFLICT, SQLite would apply both.
            rows = {
                entry.client_id: {
                    "tenant_id": self._tenant_id,
                    "client_id": entry.client_id,
                    "email": entry.email,
                    "email_lower": entry.email.strip().lower(),
                    "content_hash": entry.content_hash,
                    "member_status": entry.member_status.value if entry.member_status else None,
                    "last_error": entry.last_error,
                    "updated_at": now,
                }
                for entry in chunk
            }
            self._session.execute(stmt, list(rows.values()))

    def set_member_status(self, email: str, status: MemberStatus) -> None:
        self._session.execute(
            update(LedgerRecord)
            .where(self._mine, LedgerRecord.email_lower == email.strip().lower())
            .values(member_status=status.value, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )

    def delete_many(self, client_ids: Iterable[str]) -> None:
        for chunk in chunked(dict.fromkeys(client_ids), IN_CHUNK):
            self._session.execute(
                delete(LedgerRecord)
                .where(self._mine, one_of(self._session, LedgerRecord.client_id, chunk))
                .execution_options(synchronize_session=False)
            )

    def clear(self) -> None:
        self._session.execute(
            delete(LedgerRecord).where(self._mine).execution_options(synchronize_session=False)
        )

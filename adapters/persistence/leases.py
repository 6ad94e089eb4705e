"""SyncLeases: one atomic upsert decides who syncs a tenant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.dialects import insert_for
from calendarspots_mailchimp.adapters.persistence.records import LeaseRecord, table_of


class SqlSyncLeases:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def acquire(self, holder: str, now: datetime, until: datetime) -> bool:
        table = table_of(LeaseRecord)
        stmt = insert_for(self._session, table).values(
            tenant_id=self._tenant_id, holder=holder, until=until
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={"holder": stmt.excluded.holder, "until": stmt.excluded.until},
            # In the WHERE of DO UPDATE, the table's columns are the row already stored.
            where=or_(table.c.until <= now, table.c.holder == holder),
        )
        result = self._session.execute(stmt.returning(table.c.holder))
        return result.scalar_one_or_none() == holder

    def release(self, holder: str) -> None:
        self._session.execute(
            delete(LeaseRecord)
            .where(LeaseRecord.tenant_id == self._tenant_id, LeaseRecord.holder == holder)
            .execution_options(synchronize_session=False)
        )

    def holder(self) -> str | None:
        found: str | None = self._session.scalar(
            select(LeaseRecord.holder).where(LeaseRecord.tenant_id == self._tenant_id)
        )
        return found

    def held_until(self) -> datetime | None:
        until: datetime | None = self._session.scalar(
            select(LeaseRecord.until).where(LeaseRecord.tenant_id == self._tenant_id)
        )
        return until

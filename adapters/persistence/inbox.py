"""WebhookInbox: each event stored once per tenant and idempotency key, even when raced."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.dialects import dialect_of, insert_for
from calendarspots_mailchimp.adapters.persistence.records import InboxRecord, table_of


class SqlWebhookInbox:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def add(
        self, idempotency_key: str, received_at: datetime, payload: dict[str, Any]
    ) -> int | None:
        table = table_of(InboxRecord)
        stmt = (
            insert_for(self._session, table)
            .values(
                tenant_id=self._tenant_id,
                idempotency_key=idempotency_key,
                received_at=received_at,
                payload=payload,
                applied_at=None,
                outcome="",
            )
            .on_conflict_do_nothing(index_elements=[table.c.tenant_id, table.c.idempotency_key])
            .returning(table.c.id)
        )
        # No row comes back when the key was already there (or a concurrent twin won).
        event_id = self._session.execute(stmt).scalar_one_or_none()
        return int(event_id) if event_id is not None else None

    def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        stmt = (
            select(InboxRecord.id, InboxRecord.payload)
            .where(InboxRecord.tenant_id == self._tenant_id, InboxRecord.applied_at.is_(None))
            .order_by(InboxRecord.id)
            .limit(limit)
        )
        return [(int(event_id), dict(payload)) for event_id, payload in self._session.execute(stmt)]

    def claim(self, event_id: int, now: datetime) -> bool:
        # A conditional UPDATE: the row lock makes a twin wait, then re-read applied_at
        # (PostgreSQL READ COMMITTED re-checks the WHERE; SQLite serialises writers).
        result = self._session.execute(
            update(InboxRecord)
            .where(
                InboxRecord.tenant_id == self._tenant_id,
                InboxRecord.id == event_id,
                InboxRecord.applied_at.is_(None),
            )
            .values(applied_at=now, outcome="applying")
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def mark_applied(self, event_id: int, applied_at: datetime, outcome: str) -> None:
        self._session.execute(
            update(InboxRecord)
            .where(InboxRecord.tenant_id == self._tenant_id, InboxRecord.id == event_id)
            .values(applied_at=applied_at, outcome=outcome)
            .execution_options(synchronize_session=False)
        )

    def add_many(self, events: Sequence[tuple[str, datetime, dict[str, Any]]]) -> list[int | None]:
        table = table_of(InboxRecord)
        first: dict[str, int] = {}  # a key twice in one batch: the first copy is the event
        for index, (key, _, _) in enumerate(events):
            first.setdefault(key, index)
        if not first:
            return []
        rows = [
            {
                "tenant_id": self._tenant_id,
                "idempotency_key": key,
                "received_at": events[index][1],
                "payload": events[index][2],
                "applied_at": None,
                "outcome": "",
            }
            for key, index in first.items()
        ]
        stmt = (
            insert_for(self._session, table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[table.c.tenant_id, table.c.idempotency_key])
            .returning(table.c.id, table.c.idempotency_key)
        )
        stored = {str(key): int(event_id) for event_id, key in self._session.execute(stmt)}
        return [
            stored.get(key) if first[key] == index else None
            for index, (key, _, _) in enumerate(events)
        ]

    def claim_many(self, event_ids: Iterable[int], now: datetime) -> set[int]:
        ids = sorted(set(event_ids))
        if not ids:
            return set()
        mine = (
            InboxRecord.tenant_id == self._tenant_id,
            InboxRecord.id.in_(ids),
            InboxRecord.applied_at.is_(None),
        )
        if dialect_of(self._session) == "postgresql":
            # Rows another applier holds are skipped, not waited for (no deadlock, no stall).
            free = select(InboxRecord.id).where(*mine).with_for_update(skip_locked=True)
            where: Any = (InboxRecord.id.in_(free.scalar_subquery()),)
        else:
            where = mine  # SQLite: one writer at a time; the guard on applied_at does the rest
        result = self._session.execute(
            update(InboxRecord)
            .where(*where)
            .values(applied_at=now, outcome="applying")
            .returning(InboxRecord.id)
            .execution_options(synchronize_session=False)
        )
        return {int(event_id) for (event_id,) in result}

    def mark_applied_many(self, outcomes: Mapping[int, str], applied_at: datetime) -> None:
        by_outcome: dict[str, list[int]] = {}
        for event_id, outcome in outcomes.items():
            by_outcome.setdefault(outcome, []).append(event_id)
        for outcome, ids in by_outcome.items():
            self._session.execute(
                update(InboxRecord)
                .where(InboxRecord.tenant_id == self._tenant_id, InboxRecord.id.in_(ids))
                .values(applied_at=applied_at, outcome=outcome)
                .execution_options(synchronize_session=False)
            )


class SqlWebhookBacklog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def oldest_unapplied(self) -> datetime | None:
        stmt = select(func.min(InboxRecord.received_at)).where(InboxRecord.applied_at.is_(None))
        value = self._session.execute(stmt).scalar_one_or_none()
        return value if isinstance(value, datetime) else None


def tenants_with_pending(session: Session) -> list[str]:
    stmt = select(InboxRecord.tenant_id).where(InboxRecord.applied_at.is_(None)).distinct()
    return sorted(str(tenant_id) for tenant_id in session.scalars(stmt))

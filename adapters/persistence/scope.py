"""Repositories bound to one tenant: every query filters by its id, every insert sets it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.dialects import insert_for
from calendarspots_mailchimp.adapters.persistence.inbox import SqlWebhookInbox
from calendarspots_mailchimp.adapters.persistence.leases import SqlSyncLeases
from calendarspots_mailchimp.adapters.persistence.ledger import SqlLedgerRepository
from calendarspots_mailchimp.adapters.persistence.mapping import (
    activity_from,
    run_from,
    run_values,
)
from calendarspots_mailchimp.adapters.persistence.records import (
    ActivityRecord,
    SyncRunRecord,
    TokenRecord,
    table_of,
)
from calendarspots_mailchimp.core.errors import NotFound
from calendarspots_mailchimp.core.model import ActivityEntry, SyncRun
from calendarspots_mailchimp.ports.repositories import (
    ActivityRepository,
    LedgerRepository,
    SyncLeases,
    SyncRunRepository,
    TokenStore,
    WebhookInbox,
)

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _same_tenant(scope_tenant: str, given: str, what: str) -> None:
    if given != scope_tenant:
        raise ValueError(
            f"{what} belongs to tenant {given!r}, not to this scope ({scope_tenant!r})"
        )


class SqlTokenStore:
    def __init__(self, session: Session, tenant_id: str, now: Now = _utc_now) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._now = now

    def put(self, ciphertext: bytes) -> None:
        table = table_of(TokenRecord)
        stmt = insert_for(self._session, table).values(
            tenant_id=self._tenant_id, ciphertext=ciphertext, updated_at=self._now()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={"ciphertext": stmt.excluded.ciphertext, "updated_at": stmt.excluded.updated_at},
        )
        self._session.execute(stmt)

    def get(self) -> bytes | None:
        stmt = select(TokenRecord.ciphertext).where(TokenRecord.tenant_id == self._tenant_id)
        value = self._session.scalar(stmt)
        return bytes(value) if value is not None else None

    def delete(self) -> None:
        self._session.execute(delete(TokenRecord).where(TokenRecord.tenant_id == self._tenant_id))


def _ignore(entry: ActivityEntry) -> None:
    return None


class SqlActivityRepository:
    def __init__(
        self, session: Session, tenant_id: str, added: Callable[[ActivityEntry], None] = _ignore
    ) -> None:
        self._session = session
        self._tenant_id = tenant_id
        self._added = added  # the unit of work collects entries to publish after commit

    def add(self, entry: ActivityEntry) -> ActivityEntry:
        _same_tenant(self._tenant_id, entry.tenant_id, "activity entry")
        record = ActivityRecord(
            tenant_id=self._tenant_id,
            at=entry.at,
            kind=str(entry.kind),
            message=entry.message,
            details=dict(entry.details),
        )
        self._session.add(record)
        self._session.flush()
        stored = replace(entry, entry_id=record.id)
        self._added(stored)
        return stored

    def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        records = []
        for entry in entries:
            _same_tenant(self._tenant_id, entry.tenant_id, "activity entry")
            records.append(
                ActivityRecord(
                    tenant_id=self._tenant_id,
                    at=entry.at,
                    kind=str(entry.kind),
                    message=entry.message,
                    details=dict(entry.details),
                )
            )
        self._session.add_all(records)
        self._session.flush()  # one INSERT … VALUES (…), (…) … RETURNING id for them all
        for entry, record in zip(entries, records, strict=True):
            self._added(replace(entry, entry_id=record.id))

    def list(
        self, limit: int = 50, offset: int = 0, kinds: Sequence[str] = ()
    ) -> list[ActivityEntry]:
        stmt = select(ActivityRecord).where(ActivityRecord.tenant_id == self._tenant_id)
        if kinds:
            stmt = stmt.where(ActivityRecord.kind.in_([str(kind) for kind in kinds]))
        stmt = stmt.order_by(ActivityRecord.id.desc()).limit(limit).offset(offset)
        return [activity_from(record) for record in self._session.scalars(stmt)]

    def count(self, kinds: Sequence[str] = ()) -> int:
        stmt = select(func.count()).where(ActivityRecord.tenant_id == self._tenant_id)
        if kinds:
            stmt = stmt.where(ActivityRecord.kind.in_([str(kind) for kind in kinds]))
        return int(self._session.scalar(stmt) or 0)


class SqlSyncRunRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def add(self, run: SyncRun) -> SyncRun:
        _same_tenant(self._tenant_id, run.tenant_id, "sync run")
        record = SyncRunRecord(**run_values(run))
        self._session.add(record)
        self._session.flush()
        return replace(run, run_id=record.id)

    def save(self, run: SyncRun) -> None:
        _same_tenant(self._tenant_id, run.tenant_id, "sync run")
        if run.run_id is None:
            raise ValueError("a sync run must be added before it is saved")
        result = self._session.execute(
            update(SyncRunRecord)
            .where(SyncRunRecord.tenant_id == self._tenant_id, SyncRunRecord.id == run.run_id)
            .values(**run_values(run))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFound(
                f"sync run {run.run_id} does not exist for tenant {self._tenant_id!r}",
                code="no_sync_run",
                facts={"run": run.run_id, "tenant": self._tenant_id},
            )

    def first_id(self) -> int | None:
        stmt = select(func.min(SyncRunRecord.id)).where(SyncRunRecord.tenant_id == self._tenant_id)
        found = self._session.scalar(stmt)
        return None if found is None else int(found)

    def latest(self, limit: int = 10) -> list[SyncRun]:
        stmt = (
            select(SyncRunRecord)
            .where(SyncRunRecord.tenant_id == self._tenant_id)
            .order_by(SyncRunRecord.id.desc())
            .limit(limit)
        )
        return [run_from(record) for record in self._session.scalars(stmt)]


class SqlTenantScope:
    """Everything that belongs to one tenant, on the unit of work's session."""

    def __init__(
        self, session: Session, tenant_id: str, added: Callable[[ActivityEntry], None] = _ignore
    ) -> None:
        self.tenant_id = tenant_id
        self.token: TokenStore = SqlTokenStore(session, tenant_id)
        self.activity: ActivityRepository = SqlActivityRepository(session, tenant_id, added)
        self.runs: SyncRunRepository = SqlSyncRunRepository(session, tenant_id)
        self.ledger: LedgerRepository = SqlLedgerRepository(session, tenant_id)
        self.inbox: WebhookInbox = SqlWebhookInbox(session, tenant_id)
        self.leases: SyncLeases = SqlSyncLeases(session, tenant_id)

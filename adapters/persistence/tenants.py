"""TenantRepository over a SQLAlchemy session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calendarspots_mailchimp.adapters.persistence.inbox import tenants_with_pending
from calendarspots_mailchimp.adapters.persistence.mapping import tenant_from, tenant_values
from calendarspots_mailchimp.adapters.persistence.records import TenantRecord, table_of
from calendarspots_mailchimp.core.errors import AlreadyExists, NotFound
from calendarspots_mailchimp.core.model import Tenant


class SqlTenantRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, tenant_id: str) -> Tenant | None:
        record = self._session.get(TenantRecord, tenant_id)
        return tenant_from(record) if record is not None else None

    def add(self, tenant: Tenant) -> None:
        if self._session.get(TenantRecord, tenant.tenant_id) is not None:
            raise _exists(tenant.tenant_id)
        self._session.add(TenantRecord(**tenant_values(tenant)))
        try:
            self._session.flush()
        except IntegrityError as exc:  # another transaction added it meanwhile
            raise _exists(tenant.tenant_id) from exc

    def save(self, tenant: Tenant) -> None:
        record = self._session.get(TenantRecord, tenant.tenant_id)
        if record is None:
            raise NotFound(
                f"tenant {tenant.tenant_id!r} does not exist",
                code="no_tenant",
                facts={"tenant": tenant.tenant_id},
            )
        for name, value in tenant_values(tenant).items():
            if name != "attention_notified":  # only note_attention writes it
                setattr(record, name, value)
        self._session.flush()

    def note_attention(self, tenant_id: str, expected: str, state: str) -> bool:
        result = self._session.execute(
            update(TenantRecord)
            .where(
                TenantRecord.tenant_id == tenant_id,
                TenantRecord.attention_notified == expected,
            )
            .values(attention_notified=state)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def list(self) -> list[Tenant]:
        # Rows, not ORM records: a fleet's worth of records in the session's identity map
        # doubled the time and the memory of `status` at 200,000 tenants.
        table = table_of(TenantRecord)
        rows = self._session.execute(select(table).order_by(table.c.tenant_id))
        return [tenant_from(row) for row in rows]

    def with_pending_webhook_events(self) -> Sequence[str]:
        return tenants_with_pending(self._session)

    def using_audience(self, audience_id: str) -> Sequence[Tenant]:
        if not audience_id:
            return []
        records = self._session.scalars(
            select(TenantRecord)
            .where(TenantRecord.audience_id == audience_id)
            .order_by(TenantRecord.tenant_id)
        )
        return [tenant_from(record) for record in records]


def _exists(tenant_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"tenant {tenant_id!r} already exists", code="tenant_exists", facts={"tenant": tenant_id}
    )

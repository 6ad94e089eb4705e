"""ORM records: the database's shape. Repositories map them to core.model; nothing else sees them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from calendarspots_mailchimp.adapters.persistence.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY (a rowid alias), not a BIGINT one.
BigId = BigInteger().with_variant(Integer(), "sqlite")

TENANT_FK = "tenants.tenant_id"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declarative hook
        datetime: UTCDateTime(),
        str: String(),
        dict[str, Any]: JSON(),
    }


class TenantRecord(Base):
    __tablename__ = "tenants"

    tenant_id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    timezone: Mapped[str]
    list_name: Mapped[str]
    double_opt_in: Mapped[bool] = mapped_column(Boolean())
    archive_removed_clients: Mapped[bool] = mapped_column(Boolean())
    state: Mapped[str]
    state_reason: Mapped[str] = mapped_column(Text())
    api_endpoint: Mapped[str]
    account_name: Mapped[str]
    account_id: Mapped[str] = mapped_column(server_default="")
    audience_id: Mapped[str]
    webhook_id: Mapped[str]
    webhook_salt: Mapped[str]
    webhook_salt_previous: Mapped[str] = mapped_column(server_default="")
    last_sync_at: Mapped[datetime | None]
    last_sync_local_date: Mapped[date | None] = mapped_column(Date())
    members_checked_at: Mapped[datetime | None]
    locale: Mapped[str] = mapped_column(server_default="fr")
    guard_update_percent: Mapped[float | None] = mapped_column(Float())
    guard_archive_percent: Mapped[float | None] = mapped_column(Float())
    attention_notified: Mapped[str] = mapped_column(server_default="")
    # The client directory's marker after the last successful sync ("" = read every client).
    clients_marker: Mapped[str] = mapped_column(server_default="")


class TokenRecord(Base):
    __tablename__ = "tokens"

    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary())
    updated_at: Mapped[datetime]


class ActivityRecord(Base):
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK))
    at: Mapped[datetime]
    kind: Mapped[str]
    message: Mapped[str] = mapped_column(Text())
    details: Mapped[dict[str, Any]]


# Newest first for one tenant (the activity view), and the tenant foreign key's index.
Index("ix_activity_tenant_id_id", ActivityRecord.tenant_id, ActivityRecord.id.desc())


class SyncRunRecord(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK))
    kind: Mapped[str]
    status: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    created: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    skipped: Mapped[int]
    failed: Mapped[int]
    unsubscribed: Mapped[int]
    cleaned: Mapped[int]
    message: Mapped[str] = mapped_column(Text())


class LedgerRecord(Base):
    __tablename__ = "ledger"
    __table_args__ = (
        Index("ix_ledger_tenant_id_email_lower", "tenant_id", "email_lower"),
        # Partial: only the few refused entries (a night reads them, not the whole ledger).
        Index(
            "ix_ledger_tenant_id_refused",
            "tenant_id",
            "client_id",
            sqlite_where=text("last_error <> ''"),
            postgresql_where=text("last_error <> ''"),
        ),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK), primary_key=True)
    client_id: Mapped[str] = mapped_column(primary_key=True)
    email: Mapped[str]
    email_lower: Mapped[str]
    content_hash: Mapped[str]
    member_status: Mapped[str | None]
    last_error: Mapped[str] = mapped_column(Text())
    updated_at: Mapped[datetime]


class InboxRecord(Base):
    __tablename__ = "webhook_inbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_webhook_inbox_tenant_id_applied_at", "tenant_id", "applied_at"),
        # The events still to apply (schema 0004): the applier's reads skip the history.
        Index(
            "ix_webhook_inbox_pending",
            "tenant_id",
            "id",
            postgresql_where=text("applied_at IS NULL"),
            sqlite_where=text("applied_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK))
    idempotency_key: Mapped[str]
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    applied_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(Text())


class LeaseRecord(Base):
    __tablename__ = "leases"

    tenant_id: Mapped[str] = mapped_column(ForeignKey(TENANT_FK), primary_key=True)
    holder: Mapped[str]
    until: Mapped[datetime]


class OAuthStateRecord(Base):
    """The nonce of each OAuth state a callback consumed, kept until the state expires."""

    __tablename__ = "oauth_states_used"
    __table_args__ = (Index("ix_oauth_states_used_expires_at", "expires_at"),)

    nonce: Mapped[str] = mapped_column(primary_key=True)
    tenant_id: Mapped[str]
    expires_at: Mapped[datetime]


class ClientRecord(Base):
    """The embedded client directory. No foreign key to tenants: it stands in for the host
    platform's own database, which knows nothing of this plugin's tables."""

    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email_lower"),
        Index("ix_clients_tenant_id_updated_at", "tenant_id", "updated_at"),
        Index("ix_clients_tenant_id_change_seq", "tenant_id", "change_seq"),
    )

    tenant_id: Mapped[str] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(primary_key=True)
    email: Mapped[str]
    email_lower: Mapped[str]
    first_name: Mapped[str]
    last_name: Mapped[str]
    birth_month: Mapped[int | None]
    birth_day: Mapped[int | None]
    birth_year: Mapped[int | None]
    newsletter: Mapped[str]
    updated_at: Mapped[datetime]
    # The tenant's change counter when this row was last written (ClientCounterRecord).
    change_seq: Mapped[int] = mapped_column(BigInteger(), server_default="0")


class ClientCounterRecord(Base):
    """Each tenant's client change counter: every write to its clients takes the next number
    under this row's lock, so numbers become visible in order (a reader that sees n has every
    change numbered up to n)."""

    __tablename__ = "client_counters"

    tenant_id: Mapped[str] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger())


class ClientTombstoneRecord(Base):
    """A client removed from the embedded directory, with the change number of its removal."""

    __tablename__ = "client_tombstones"
    __table_args__ = (
        Index("ix_client_tombstones_tenant_id_change_seq", "tenant_id", "change_seq"),
    )

    tenant_id: Mapped[str] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(primary_key=True)
    change_seq: Mapped[int] = mapped_column(BigInteger())


def table_of(record: type[Base]) -> Table:
    """The Core table behind a record, typed as such (for dialect inserts and bulk updates)."""
    table = record.__table__
    assert isinstance(table, Table)
    return table

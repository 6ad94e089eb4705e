"""Explicit record <-> domain mapping, so no ORM object leaves the adapter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Row

from calendarspots_mailchimp.adapters.persistence.records import (
    ActivityRecord,
    SyncRunRecord,
    TenantRecord,
)
from calendarspots_mailchimp.core.model import (
    ActivityEntry,
    ActivityKind,
    Birthday,
    Client,
    ConnectionState,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
    SyncCounts,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)

COUNT_FIELDS = tuple(f.name for f in fields(SyncCounts))
_ACTIVITY_KINDS = {kind.value: kind for kind in ActivityKind}


def tenant_values(tenant: Tenant) -> dict[str, object]:
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "timezone": tenant.timezone,
        "list_name": tenant.list_name,
        "double_opt_in": tenant.double_opt_in,
        "archive_removed_clients": tenant.archive_removed_clients,
        "state": tenant.state.value,
        "state_reason": tenant.state_reason,
        "api_endpoint": tenant.api_endpoint,
        "account_name": tenant.account_name,
        "account_id": tenant.account_id,
        "audience_id": tenant.audience_id,
        "webhook_id": tenant.webhook_id,
        "webhook_salt": tenant.webhook_salt,
        "webhook_salt_previous": tenant.webhook_salt_previous,
        "last_sync_at": tenant.last_sync_at,
        "last_sync_local_date": tenant.last_sync_local_date,
        "members_checked_at": tenant.members_checked_at,
        "locale": tenant.locale,
        "guard_update_percent": tenant.guard_update_percent,
        "guard_archive_percent": tenant.guard_archive_percent,
        "attention_notified": tenant.attention_notified,
        "clients_marker": tenant.clients_marker,
    }


def tenant_from(record: TenantRecord | Row[Any]) -> Tenant:
    """From the ORM record or a row of the tenants table's columns."""
    return Tenant(
        tenant_id=record.tenant_id,
        name=record.name,
        timezone=record.timezone,
        list_name=record.list_name,
        double_opt_in=record.double_opt_in,
        archive_removed_clients=record.archive_removed_clients,
        state=ConnectionState(record.state),
        state_reason=record.state_reason,
        api_endpoint=record.api_endpoint,
        account_name=record.account_name,
        account_id=record.account_id,
        audience_id=record.audience_id,
        webhook_id=record.webhook_id,
        webhook_salt=record.webhook_salt,
        webhook_salt_previous=record.webhook_salt_previous,
        last_sync_at=record.last_sync_at,
        last_sync_local_date=record.last_sync_local_date,
        members_checked_at=record.members_checked_at,
        locale=record.locale,
        guard_update_percent=record.guard_update_percent,
        guard_archive_percent=record.guard_archive_percent,
        attention_notified=record.attention_notified,
        clients_marker=record.clients_marker,
    )


def activity_from(record: ActivityRecord) -> ActivityEntry:
    # Unknown kinds stay plain strings: a newer release may have written them.
    kind: ActivityKind | str = _ACTIVITY_KINDS.get(record.kind, record.kind)
    return ActivityEntry(
        tenant_id=record.tenant_id,
        at=record.at,
        kind=kind,
        message=record.message,
        details=dict(record.details or {}),
        entry_id=record.id,
    )


def run_values(run: SyncRun) -> dict[str, object]:
    values: dict[str, object] = {
        "tenant_id": run.tenant_id,
        "kind": run.kind.value,
        "status": run.status.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "message": run.message,
    }
    values.update({name: getattr(run.counts, name) for name in COUNT_FIELDS})
    return values


def run_from(record: SyncRunRecord) -> SyncRun:
    return SyncRun(
        tenant_id=record.tenant_id,
        kind=SyncKind(record.kind),
        started_at=record.started_at,
        status=SyncStatus(record.status),
        finished_at=record.finished_at,
        counts=SyncCounts(**{name: getattr(record, name) for name in COUNT_FIELDS}),
        message=record.message,
        run_id=record.id,
    )


# The sync_runs columns run_from_row reads, in this order (a fleet reads millions: positional).
RUN_COLUMNS = (
    "id",
    "tenant_id",
    "kind",
    "status",
    "started_at",
    "finished_at",
    *COUNT_FIELDS,
    "message",
)
_RUN_KINDS = {kind.value: kind for kind in SyncKind}
_RUN_STATUSES = {status.value: status for status in SyncStatus}


def run_from_row(row: Sequence[Any]) -> SyncRun:
    """A row of RUN_COLUMNS."""
    run_id, tenant_id, kind, status, started_at, finished_at, *rest = row
    *counts, message = rest
    return SyncRun(
        tenant_id=tenant_id,
        kind=_RUN_KINDS.get(kind) or SyncKind(kind),
        started_at=started_at,
        status=_RUN_STATUSES.get(status) or SyncStatus(status),
        finished_at=finished_at,
        counts=SyncCounts(*counts),
        message=message,
        run_id=run_id,
    )


def ledger_from(row: Row[str, str, str, str | None, str]) -> LedgerEntry:
    client_id, email, content_hash, member_status, last_error = row
    return LedgerEntry(
        client_id=client_id,
        email=email,
        content_hash=content_hash,
        member_status=MemberStatus(member_status) if member_status else None,
        last_error=last_error,
    )


def client_from(
    row: Row[str, str, str, str, int | None, int | None, int | None, str],
) -> Client:
    client_id, email, first_name, last_name, month, day, year, newsletter = row
    birthday = Birthday(month, day, year) if month is not None and day is not None else None
    return Client(
        client_id=client_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        birthday=birthday,
        newsletter=NewsletterStatus(newsletter),
    )

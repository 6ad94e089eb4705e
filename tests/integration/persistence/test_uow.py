"""Unit of Work semantics, tenants, tokens, sync runs, and aware datetimes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.errors import AlreadyExists, NotFound
from calendarspots_mailchimp.core.model import (
    ConnectionState,
    SyncCounts,
    SyncKind,
    SyncRun,
    SyncStatus,
    Tenant,
)

UowFactory = Callable[[], SqlUnitOfWork]
MONTREAL_WINTER = timezone(timedelta(hours=-5))


def tenant(tenant_id: str = "acme") -> Tenant:
    return Tenant(tenant_id=tenant_id, name="Salon Élodie d'Amour", timezone="America/Montreal")


def test_commit_makes_changes_visible_to_the_next_unit_of_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant())
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tenants.get("acme")
    assert stored == tenant()


def test_leaving_without_commit_rolls_back(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant())
    with uow_factory() as uow:
        assert uow.tenants.get("acme") is None


def test_an_exception_rolls_back(uow_factory: UowFactory) -> None:
    def add_then_fail() -> None:
        with uow_factory() as uow:
            uow.tenants.add(tenant())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    with uow_factory() as uow:
        assert uow.tenants.list() == []


def test_work_after_a_commit_is_rolled_back_without_a_second_commit(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant("acme"))
        uow.commit()
        uow.tenants.add(tenant("bravo"))
    with uow_factory() as uow:
        assert [t.tenant_id for t in uow.tenants.list()] == ["acme"]


def test_explicit_rollback_discards_pending_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant("acme"))
        uow.rollback()
        uow.tenants.add(tenant("bravo"))
        uow.commit()
    with uow_factory() as uow:
        assert [t.tenant_id for t in uow.tenants.list()] == ["bravo"]


def test_repositories_refuse_use_outside_the_with_block(uow_factory: UowFactory) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="inside `with`"):
        uow.scope("acme")


def test_adding_a_tenant_twice_raises_already_exists(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant())
        uow.commit()
    with uow_factory() as uow, pytest.raises(AlreadyExists, match="acme"):
        uow.tenants.add(tenant())


def test_saving_an_unknown_tenant_raises_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.tenants.save(tenant("ghost"))


def test_every_tenant_field_round_trips_and_times_come_back_aware_utc(
    uow_factory: UowFactory,
) -> None:
    local = datetime(2025, 1, 15, 2, 30, 15, 123456, tzinfo=MONTREAL_WINTER)
    full = Tenant(
        tenant_id="acme",
        name="Coiffure Hélène",
        timezone="America/Montreal",
        list_name="calendarspots",
        double_opt_in=True,
        archive_removed_clients=True,
        state=ConnectionState.NEEDS_ATTENTION,
        state_reason="the audience was renamed",
        api_endpoint="https://us21.api.mailchimp.com",
        account_name="Hélène",
        audience_id="abc123",
        webhook_id="wh1",
        webhook_salt="s" * 22,
        last_sync_at=local,
        last_sync_local_date=date(2025, 1, 15),
        members_checked_at=datetime(2025, 1, 15, 7, 0, tzinfo=UTC),
    )
    with uow_factory() as uow:
        uow.tenants.add(tenant())
        uow.commit()
    with uow_factory() as uow:
        uow.tenants.save(full)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tenants.get("acme")
    assert stored == full
    assert stored is not None
    assert stored.last_sync_at is not None
    assert stored.last_sync_at.tzinfo is UTC
    assert stored.last_sync_at == local  # same instant
    assert stored.last_sync_at.hour == 7


def test_naive_datetimes_are_refused(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    with uow_factory() as uow, pytest.raises(StatementError, match="naive datetime"):
        uow.scope("acme").inbox.add("k", datetime(2025, 1, 1), {})


def test_tenants_list_in_id_order(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for tenant_id in ("zeta", "acme", "mid"):
            uow.tenants.add(tenant(tenant_id))
        uow.commit()
    with uow_factory() as uow:
        assert [t.tenant_id for t in uow.tenants.list()] == ["acme", "mid", "zeta"]


def test_token_put_get_replace_delete(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    with uow_factory() as uow:
        token = uow.scope("acme").token
        assert token.get() is None
        token.put(b"\x00cipher-1")
        token.put(b"\x00cipher-2")
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("acme").token.get() == b"\x00cipher-2"
        uow.scope("acme").token.delete()
        uow.commit()
    with uow_factory() as uow:
        assert uow.scope("acme").token.get() is None


def test_sync_runs_add_save_latest(uow_factory: UowFactory, tenants: tuple[str, str]) -> None:
    started = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
    with uow_factory() as uow:
        runs = uow.scope("acme").runs
        first = runs.add(SyncRun("acme", SyncKind.INITIAL, started))
        second = runs.add(SyncRun("acme", SyncKind.NIGHTLY, started + timedelta(days=1)))
        assert first.run_id is not None
        assert second.run_id is not None
        assert second.run_id > first.run_id
        second.status = SyncStatus.PARTIAL
        second.finished_at = started + timedelta(days=1, minutes=3)
        second.counts = SyncCounts(created=5, updated=4, unchanged=3, skipped=2, failed=1)
        second.message = "1 contact refused"
        runs.save(second)
        uow.commit()
    with uow_factory() as uow:
        latest = uow.scope("acme").runs.latest()
        assert latest == [second, first]
        assert uow.scope("acme").runs.latest(limit=1) == [second]


def test_saving_a_run_that_was_never_added_is_refused(
    uow_factory: UowFactory, tenants: tuple[str, str]
) -> None:
    run = SyncRun("acme", SyncKind.MANUAL, datetime(2025, 3, 1, tzinfo=UTC))
    with uow_factory() as uow, pytest.raises(ValueError, match="added"):
        uow.scope("acme").runs.save(run)


def test_the_attention_state_told_is_stored_only_by_note_attention(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.tenants.add(tenant())
        uow.commit()
    with uow_factory() as uow:
        stale = uow.tenants.get("acme")
        assert stale is not None and stale.attention_notified == ""
        assert uow.tenants.note_attention("acme", "", "sync_held") is True
        assert uow.tenants.note_attention("acme", "", "overdue") is False  # not "" any more
        uow.commit()
    with uow_factory() as uow:
        uow.tenants.save(stale.with_state(ConnectionState.CONNECTED))  # read before: no undo
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tenants.get("acme")
        assert stored is not None
        assert (stored.attention_notified, stored.state) == ("sync_held", "connected")
        assert uow.tenants.note_attention("nobody", "", "overdue") is False


def test_a_tenants_own_guard_thresholds_are_kept(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.tenants.add(replace(tenant(), guard_update_percent=33.5))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tenants.get("acme")
        assert stored is not None
        assert (stored.guard_update_percent, stored.guard_archive_percent) == (33.5, None)

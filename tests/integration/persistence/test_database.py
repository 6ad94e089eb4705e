"""The Database: engine set-up, Alembic migrations, schema matching the ORM."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from calendarspots_mailchimp.adapters.persistence.database import Database, normalize_url
from calendarspots_mailchimp.adapters.persistence.records import Base

HEAD = "0006"  # the newest migration

TABLES = {
    "tenants",
    "tokens",
    "activity",
    "sync_runs",
    "ledger",
    "webhook_inbox",
    "leases",
    "clients",
    "oauth_states_used",
}


def test_postgresql_urls_go_through_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_upgrade_builds_every_table_and_records_the_revision(fresh_url: str) -> None:
    database = Database(fresh_url)
    try:
        assert database.current_revision() is None
        database.upgrade()
        assert database.current_revision() == HEAD
        assert set(inspect(database.engine).get_table_names()) >= TABLES
        database.upgrade()  # idempotent
        assert database.current_revision() == HEAD
    finally:
        database.dispose()


def test_the_migration_matches_the_orm_metadata(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_concurrent_upgrades_from_separate_engines_all_succeed(fresh_url: str) -> None:
    databases = [Database(fresh_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda database: database.upgrade(), databases))
        assert {database.current_revision() for database in databases} == {HEAD}
    finally:
        for database in databases:
            database.dispose()


def test_ensure_schema_migrates_once_per_url(fresh_url: str) -> None:
    first, second = Database(fresh_url), Database(fresh_url)
    try:
        first.ensure_schema()
        assert first.current_revision() == HEAD
        with first.engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
        second.ensure_schema()  # cached for this URL in this process: no second upgrade
        assert second.current_revision() is None
    finally:
        first.dispose()
        second.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/pragmas.db")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        database.dispose()


def test_a_new_sqlite_connection_waits_for_a_writer_before_switching_to_wal(
    tmp_path: object,
) -> None:
    """SQLite skips the busy handler for a journal-mode change: we must wait ourselves."""
    path = f"{tmp_path}/locked.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE t (x INTEGER)")
    release = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    release.start()
    database = Database(f"sqlite:///{path}")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        release.join()
        writer.close()
        database.dispose()


def test_in_memory_sqlite_keeps_one_database(tmp_path: object) -> None:
    database = Database("sqlite://")
    try:
        database.upgrade()
        with database.unit_of_work_factory()() as uow:
            assert uow.tenants.list() == []
    finally:
        database.dispose()


def test_repr_hides_the_password() -> None:
    database = Database("postgresql://user:s3cret@127.0.0.1:1/nowhere")
    try:
        assert "s3cret" not in repr(database)
    finally:
        database.dispose()


def test_0002_keeps_a_stored_webhook_secret_as_a_legacy_salt_and_downgrades_back(
    fresh_url: str,
) -> None:
    database = Database(fresh_url)
    try:
        database.upgrade("0001")
        with database.engine.begin() as connection:
            for tenant_id, secret in (("old", "stored-secret"), ("new", "")):
                connection.execute(
                    text(
                        "INSERT INTO tenants (tenant_id, name, timezone, list_name, double_opt_in,"
                        " archive_removed_clients, state, state_reason, api_endpoint,"
                        " account_name, audience_id, webhook_id, webhook_secret) VALUES (:t, :t,"
                        " 'UTC', 'calendarspots', false, false, 'connected', '', '', '', '', '',"
                        " :s)"
                    ),
                    {"t": tenant_id, "s": secret},
                )
                # Rows that point at the tenant: SQLite copies `tenants` to alter it.
                connection.execute(
                    text(
                        "INSERT INTO leases (tenant_id, holder, until) VALUES "
                        "(:t, 'h', '2026-01-01 00:00:00')"
                    ),
                    {"t": tenant_id},
                )
                connection.execute(
                    text(
                        "INSERT INTO tokens (tenant_id, ciphertext, updated_at) VALUES "
                        "(:t, :c, '2026-01-01 00:00:00')"
                    ),
                    {"t": tenant_id, "c": b"sealed"},
                )
        database.upgrade()
        with database.unit_of_work_factory()() as uow:
            old, new = uow.tenants.get("old"), uow.tenants.get("new")
            assert old is not None and new is not None
            assert old.webhook_salt == "plain:stored-secret"
            assert new.webhook_salt == ""
            assert old.locale == new.locale == "fr"  # 0003: tenants from before read French
        database.downgrade("0001")
        with database.engine.connect() as connection:
            query = text("SELECT tenant_id, webhook_secret FROM tenants")
            rows = {row[0]: row[1] for row in connection.execute(query)}
        assert rows == {"old": "stored-secret", "new": ""}
        assert "oauth_states_used" not in inspect(database.engine).get_table_names()
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM leases")).scalar() == 2
            assert connection.execute(text("SELECT count(*) FROM tokens")).scalar() == 2
            if database.dialect == "sqlite":  # switched back on after migrating
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()

"""Database fixtures: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from CS_MAILCHIMP_TEST_POSTGRES_URL; one throw-away database per session,
tables truncated before each test. Unreachable PostgreSQL fails those tests, unless
CS_MAILCHIMP_TEST_SKIP_POSTGRES=1 deselects them (reported by pytest as deselected).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from calendarspots_mailchimp.adapters.persistence.client_directory import (
    EmbeddedClientDirectory,
)
from calendarspots_mailchimp.adapters.persistence.database import Database, normalize_url
from calendarspots_mailchimp.adapters.persistence.records import Base
from calendarspots_mailchimp.adapters.persistence.uow import SqlUnitOfWork
from calendarspots_mailchimp.core.model import Tenant
from calendarspots_mailchimp.ports.clock import FixedClock

POSTGRES_URL_ENV = "CS_MAILCHIMP_TEST_POSTGRES_URL"
SKIP_POSTGRES_ENV = "CS_MAILCHIMP_TEST_SKIP_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HERE = Path(__file__).resolve().parent

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(SKIP_POSTGRES_ENV) != "1":
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("backend") == "postgresql"
        if on_postgres and HERE in Path(str(item.path)).resolve().parents:
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, base_url: str) -> None:
        self.base = normalize_url(base_url)
        self.admin = create_engine(self.base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"csmc_test_{uuid.uuid4().hex[:12]}"
        try:
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            pytest.fail(
                f"PostgreSQL is unreachable at {self.base.render_as_string()} ({exc.orig}); "
                f"start it, point {POSTGRES_URL_ENV} at one, or set {SKIP_POSTGRES_ENV}=1 "
                "to deselect the PostgreSQL tests",
                pytrace=False,
            )
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            self.admin.dispose()
            return
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[Database]:
    database = Database(postgres_server.create())
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if backend == "postgresql":
        shared: Database = request.getfixturevalue("postgres_database")
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with shared.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield shared
        return
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, no schema yet."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create()
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def uow_factory(database: Database) -> Callable[[], SqlUnitOfWork]:
    return database.unit_of_work_factory()


def make_tenant(tenant_id: str) -> Tenant:
    return Tenant(tenant_id=tenant_id, name=f"Business {tenant_id}", timezone="America/Montreal")


@pytest.fixture
def tenants(uow_factory: Callable[[], SqlUnitOfWork]) -> tuple[str, str]:
    """Two tenants, A and B, for isolation checks."""
    with uow_factory() as uow:
        uow.tenants.add(make_tenant("acme"))
        uow.tenants.add(make_tenant("bravo"))
        uow.commit()
    return "acme", "bravo"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def directory(database: Database, clock: FixedClock) -> EmbeddedClientDirectory:
    return EmbeddedClientDirectory(database, clock=clock)

"""The database: engine set-up per dialect, and the schema built by Alembic migrations."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from calendarspots_mailchimp.adapters.persistence.uow import Published, SqlUnitOfWork

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key for migrations: any constant shared by every process of the app.
MIGRATION_LOCK_KEY = 0x63736D63  # "csmc"
SQLITE_BUSY_TIMEOUT_S = 30

_schema_ready: set[str] = set()
_schema_lock = threading.Lock()


class PortOutOfRange(ValueError):
    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is not between 1 and 65535")
        self.port = port


def normalize_url(url: str) -> URL:
    """PostgreSQL goes through psycopg 3 whatever the URL says. ValueError for a port that is
    not a number from 1 to 65535 (SQLAlchemy takes 0 and 99999; libpq reads 0 as "default")."""
    parsed = make_url(url)  # ValueError for a port that is not a number
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise PortOutOfRange(parsed.port)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted or overwritten rows (a replaced token, a retired webhook salt, a client's
        # old address) are zeroed in the file rather than left in free pages.
        cursor.execute("PRAGMA secure_delete = ON")
        _use_wal(cursor)
        # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: a committed
        # transaction survives the process being killed (kill -9 included: the OS has the
        # log), not a power cut or an OS crash, which may lose the last commits. That is
        # what lets a webhook's one inbox write be cheap (docs: README, benchmarks/README.md).
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once; WAL is persistent, so later connections only read it.

    SQLite does not call the busy handler for a journal-mode change: while another
    connection holds a write lock (a first migration in another process) the switch fails at
    once with "database is locked". Wait for it ourselves, within the same busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        in_memory = url.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            hide_parameters=True,  # an error must never print clients' details
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No server-side prepared statements: their generic plans ignore the actual tenant and
    # IN-list (no hashed ANY), which made 500-email lookups ~30x slower; they also break
    # behind PgBouncer's transaction pooling.
    # A sync holds up to three connections at once (a unit of work, the client stream, the
    # lease heartbeat): 30 lets a worker run ~10 tenants in threads without waiting for one.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
        connect_args={"prepare_threshold": None},
    )


class Database:
    """One engine per URL; build the schema with upgrade() or ensure_schema()."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = _make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def _key(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def unit_of_work_factory(
        self, published: Published | None = None
    ) -> Callable[[], SqlUnitOfWork]:
        sessions = self.sessions

        def open_unit_of_work() -> SqlUnitOfWork:
            return SqlUnitOfWork(sessions, published)

        return open_unit_of_work

    def upgrade(self, revision: str = "head") -> None:
        """alembic upgrade, in one transaction that excludes every other migrating process."""
        with self._migration_connection() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def downgrade(self, revision: str) -> None:
        """alembic downgrade (an operator's way back after a bad deploy), same locking."""
        with self._migration_connection() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

    def ensure_schema(self) -> None:
        """upgrade() once per process and URL."""
        with _schema_lock:
            if self._key in _schema_ready:
                return
            self.upgrade()
            _schema_ready.add(self._key)

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _migration_connection(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            sqlite = self.dialect == "sqlite"
            if sqlite:
                # SQLite alters a table by copying it and dropping the old one, which the
                # foreign keys pointing at it would refuse: they are off while migrating
                # (the pragma only takes effect outside a transaction) and checked at the end.
                connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
                # Python's sqlite3 runs DDL outside transactions unless one is open: open a
                # write transaction now so a second process waits instead of racing us.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.dialect == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            try:
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
                connection.commit()
            finally:
                if sqlite:
                    connection.rollback()  # a no-op after commit()
                    connection.exec_driver_sql("PRAGMA foreign_keys = ON")


def alembic_config() -> Config:
    """A Config that finds the migrations inside the installed package, whatever the cwd."""
    config = Config()
    # ConfigParser interpolation would read a "%" in the path as a variable.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    return config

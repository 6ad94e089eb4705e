"""Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test when
CS_MAILCHIMP_TEST_BACKEND=postgresql (CI runs the end-to-end suites both ways)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POSTGRES_ADMIN_URL = os.environ.get(
    "CS_MAILCHIMP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def backend() -> str:
    return os.environ.get("CS_MAILCHIMP_TEST_BACKEND", "sqlite")


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    if backend() != "postgresql":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database(prefix: str = "csmc_e2e") -> Iterator[str]:
    """A PostgreSQL database of its own, dropped afterwards (forcing out leftover sessions)."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from calendarspots_mailchimp.adapters.persistence import plugin as persistence_plugin

        persistence_plugin.forget(url)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Alembic environment: runs on the connection Database.upgrade() hands over, or, from the
alembic command line, on CS_MAILCHIMP_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from calendarspots_mailchimp.adapters.persistence.records import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later revisions copy-and-move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from calendarspots_mailchimp.adapters.persistence.database import Database

    url = os.environ.get("CS_MAILCHIMP_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set CS_MAILCHIMP_DATABASE_URL to the database to migrate")
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            _run(connection)
    finally:
        database.dispose()


def run_offline() -> None:
    url = os.environ.get("CS_MAILCHIMP_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

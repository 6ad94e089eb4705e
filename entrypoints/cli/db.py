"""`cs-mailchimp db ...`"""

from __future__ import annotations

import typer

from calendarspots_mailchimp.entrypoints.cli.common import failures, words
from calendarspots_mailchimp.entrypoints.container import runtime

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations (also done automatically on first use)."""
    with failures():
        container = runtime()
        before = _revision(container.settings().database_url)
        # Opening a unit of work builds or upgrades the schema through the persistence plugin.
        with container.uow()() as uow:
            uow.tenants.list()
        after = _revision(container.settings().database_url)
        w = words()
        if before == after:
            revision = after or w._("unknown")
            typer.echo(
                w._("database schema is up to date (revision {revision})", revision=revision)
            )
        elif before is None:
            typer.echo(w._("database schema created (revision {revision})", revision=after))
        else:
            said = w._(
                "database schema upgraded from revision {before} to {after}",
                before=before,
                after=after,
            )
            typer.echo(said)


def _revision(url: str) -> str | None:
    """The built-in store's Alembic revision, None before the first migration (or when it
    cannot be read: the message then simply gives less detail)."""
    from calendarspots_mailchimp.adapters.persistence.database import Database

    try:
        database = Database(url)
    except Exception:
        return None
    try:
        return database.current_revision()
    except Exception:
        return None
    finally:
        database.dispose()

"""`cs-mailchimp db ...`"""

from __future__ import annotations

import typer

from calendarspots_mailchimp.entrypoints.cli import state
from calendarspots_mailchimp.entrypoints.cli.main import failures

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations (also done automatically on first use)."""
    with failures():
        # Opening a unit of work builds or upgrades the schema through the persistence plugin.
        with state.container().uow_factory()() as uow:
            uow.tenants.list()
        typer.echo("database schema is up to date")

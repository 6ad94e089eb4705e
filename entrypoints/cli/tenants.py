"""`cs-mailchimp tenants ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from calendarspots_mailchimp.core.services.tenants import AddTenant, tenant_json
from calendarspots_mailchimp.entrypoints.cli.common import emit, failures
from calendarspots_mailchimp.entrypoints.container import runtime

app = typer.Typer(help="Add and list tenants (businesses).", no_args_is_help=True)


@app.command("add")
def add(
    tenant: Annotated[
        str,
        typer.Argument(
            help="Tenant id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit."
        ),
    ],
    name: Annotated[
        str, typer.Option("--name", help="The business's name (at most 100 characters).")
    ],
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone, e.g. America/Montreal.")
    ],
    double_opt_in: Annotated[
        bool,
        typer.Option(
            "--double-opt-in",
            help="New contacts get MailChimp's confirmation email (pending).",
        ),
    ] = False,
    archive_removed: Annotated[
        bool,
        typer.Option(
            "--archive-removed",
            help="Archive in MailChimp the clients removed from the platform.",
        ),
    ] = False,
    locale: Annotated[
        str,
        typer.Option(
            "--locale",
            help="Language of the owner's pages and activity: fr (Datedechoix.com) or en.",
        ),
    ] = "fr",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Add a tenant."""
    with failures():
        command = AddTenant(
            tenant, name, timezone, double_opt_in, archive_removed, locale=locale.strip().lower()
        )
        created = runtime().tenants().add(command)
        emit(tenant_json(created), as_json, lambda: typer.echo(f"tenant {created.tenant_id} added"))


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List tenants with their connection state."""
    with failures():
        tenants = runtime().tenants().all()

        def text() -> None:
            if not tenants:
                typer.echo("no tenants")
            for t in tenants:
                typer.echo(f"{t.tenant_id}\t{t.name}\t{t.timezone}\t{t.state.value}")

        emit([tenant_json(t) for t in tenants], as_json, text)

"""`cs-mailchimp status [TENANT]`: the fleet (or one tenant) at a glance."""

from __future__ import annotations

from typing import Annotated

import typer

from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, language, say
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.messages import status_json, status_lines

# Top-level commands: main.py adds this app without a name.
app = typer.Typer()


@app.command("status")
def status(
    tenant: Annotated[
        str | None, typer.Argument(help="One tenant id (default: every tenant).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The fleet at a glance: tenants by state, last night's syncs, overdue tenants, and who
    needs attention with the reason and the fix. A report: exits 0 whatever it finds."""
    with failures():
        view = runtime().fleet_status().view(tenant)

        def text() -> None:
            for line in status_lines(view, one=tenant is not None, lang=language()):
                say(line)

        emit(status_json(view, language()), as_json, text)

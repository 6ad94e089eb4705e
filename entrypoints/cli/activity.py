"""`cs-mailchimp activity TENANT`"""

from __future__ import annotations

from typing import Annotated

import typer

from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, language, say, words
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.messages import entry_json, render

# Top-level commands: main.py adds this app without a name.
app = typer.Typer()


@app.command("activity")
def show_activity(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    limit: Annotated[
        int, typer.Option("--limit", help="How many entries, newest first (1-1000).")
    ] = 50,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only these kinds (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything that touched the tenant's audience, newest first."""
    with failures():
        entries, _total = runtime().tenants().activity(tenant, limit=limit, kinds=kind or ())

        def text() -> None:
            if not entries:
                typer.echo(words()._("no activity yet"))
            for e in entries:
                say(f"{e.at.isoformat(timespec='seconds')}  {e.kind!s:<30} {render(e, language())}")

        emit([entry_json(e, language()) for e in entries], as_json, text)

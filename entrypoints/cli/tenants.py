"""`cs-mailchimp tenants ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.services.tenants import KEEP, AddTenant, Threshold, tenant_json
from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, words
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.i18n import N_, Words

app = typer.Typer(help="Add, change and list tenants (businesses).", no_args_is_help=True)


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
        emit(
            tenant_json(created),
            as_json,
            lambda: typer.echo(words()._("tenant {tenant} added", tenant=created.tenant_id)),
        )


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List tenants with their connection state."""
    with failures():
        tenants = runtime().tenants().all()

        def text() -> None:
            if not tenants:
                typer.echo(words()._("no tenants"))
            for t in tenants:
                typer.echo(f"{t.tenant_id}\t{t.name}\t{t.timezone}\t{t.state.value}")

        emit([tenant_json(t) for t in tenants], as_json, text)


_WHOSE = {True: N_("(the setting)"), False: N_("(its own)")}


def _percent(value: float, w: Words) -> str:
    return str(value) if w.lang == "en" else w.number(value)  # English as before: "35.0"


def threshold(raw: str | None, option: str) -> Threshold:
    """A percent, `default` (back to the setting), or unchanged when the option is absent."""
    if raw is None:
        return KEEP
    if raw.strip().lower() == "default":
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise InvalidInput(
            f"{option} must be a percent (e.g. 30) or 'default', got {raw!r}",
            code="guard_percent.not_a_number",
            facts={"option": option, "value": raw},
        ) from exc


@app.command("set")
def set_(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    guard_update_percent: Annotated[
        str | None,
        typer.Option(
            "--guard-update-percent",
            help="Hold a sync that would update more than this share of the audience's members "
            "(this tenant only; 'default': CS_MAILCHIMP_GUARD_UPDATE_PERCENT).",
        ),
    ] = None,
    guard_archive_percent: Annotated[
        str | None,
        typer.Option(
            "--guard-archive-percent",
            help="Hold a sync that would archive more than this share of the audience's members "
            "(this tenant only; 'default': CS_MAILCHIMP_GUARD_ARCHIVE_PERCENT).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Change a tenant's settings: the mass-change guard's thresholds."""
    with failures():
        update = threshold(guard_update_percent, "--guard-update-percent")
        archive = threshold(guard_archive_percent, "--guard-archive-percent")
        if update == KEEP and archive == KEEP:
            raise InvalidInput(
                "nothing to change: give --guard-update-percent or --guard-archive-percent",
                code="guard_percent.nothing",
            )
        changed = runtime().tenants().set_guard(tenant, update, archive)
        settings = runtime().settings()

        def text() -> None:
            w = words()
            own_update, own_archive = changed.guard_update_percent, changed.guard_archive_percent
            typer.echo(
                w._(
                    "tenant {tenant}: guard holds a sync that would update more than {update} % "
                    "{update_whose} or archive more than {archive} % {archive_whose}",
                    tenant=changed.tenant_id,
                    update=_percent(
                        settings.guard_update_percent if own_update is None else own_update, w
                    ),
                    update_whose=w._(_WHOSE[own_update is None]),
                    archive=_percent(
                        settings.guard_archive_percent if own_archive is None else own_archive, w
                    ),
                    archive_whose=w._(_WHOSE[own_archive is None]),
                )
            )

        emit(tenant_json(changed), as_json, text)

"""`connect`, `check`, `sync`, `nightly`: the operator's commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from calendarspots_mailchimp.core.errors import (
    AudienceContractError,
    CalendarspotsError,
    NotConnected,
    SyncFailed,
    SyncHeld,
)
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.core.services.links import StartLink
from calendarspots_mailchimp.core.services.nightly import NightlyOutcome
from calendarspots_mailchimp.core.services.owner import OwnerLink
from calendarspots_mailchimp.core.services.sync import SyncReport
from calendarspots_mailchimp.core.services.sync.report import Failure
from calendarspots_mailchimp.entrypoints.cli.common import emit, failures, say, schedule_instant
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.messages import (
    attention_json,
    night_message,
    plan_lines,
    reason_text,
    report_json,
    report_message,
)

# Top-level commands: main.py adds this app without a name.
app = typer.Typer()


@app.command("connect")
def connect(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the link the tenant's owner opens to authorize MailChimp (one use, 15 minutes)."""
    with failures():
        _emit_link(runtime().start_links().make(tenant), as_json)


@app.command("owner-link")
def owner_link(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a one-use link (15 minutes) that opens the owner's Newsletters page."""
    with failures():
        _emit_link(runtime().owner_access().link(tenant), as_json)


def _emit_link(link: StartLink | OwnerLink, as_json: bool) -> None:
    """The link on stdout; how long it lasts on stderr, so `$(cs-mailchimp …)` is the link."""

    def text() -> None:
        typer.echo(link.url)
        typer.echo(
            f"One use, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC (15 minutes).", err=True
        )

    emit(link.as_json(), as_json, text)


@app.command("disconnect")
def disconnect(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Disconnect MailChimp: remove the plugin's webhook, forget the token, keep the clients."""
    with failures():
        result = runtime().disconnect_service().disconnect(tenant)

        def text() -> None:
            removed = "webhook removed" if result.webhooks_removed else "no webhook to remove"
            typer.echo(f"tenant {tenant} disconnected ({removed})")
            if result.error:
                typer.echo(
                    f"warning: the webhook could not be removed ({result.error}): delete it "
                    "in MailChimp (Audience → Settings → Webhooks)",
                    err=True,
                )

        emit(result.as_json(), as_json, text)


@app.command("check")
def check(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    fix: Annotated[
        bool, typer.Option("--fix", help="Create missing FNAME/LNAME/BIRTHDAY fields.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check the audience: exactly one named as required, with EMAIL/FNAME/LNAME/BIRTHDAY."""
    with failures():
        result = runtime().check_service().check(tenant, fix=fix)
        emit(
            result.as_json(),
            as_json,
            lambda: typer.echo(("ok: " if result.ok else "") + result.message),
        )
        if not result.ok:
            raise (NotConnected if result.revoked else AudienceContractError)(result.message)


def _print_report(report: SyncReport) -> None:
    say(report_message(report))
    if report.dry_run:
        plan = plan_lines(report)
        for line in plan["webhook"]:
            say(f"  {line}")
        for line in plan["opt_out"]:
            say(f"  would mark in the client database: {line}")
        for bucket in ("create", "update", "skip"):
            for line in plan[bucket]:
                say(f"  would {bucket}: {line}")
    else:
        for problem in report.problems[:50]:
            say(f"  {problem.email}: {reason_text(problem.code)}")


@app.command("sync")
def sync(
    tenant: Annotated[str, typer.Argument(help="Tenant id.")],
    full: Annotated[
        bool, typer.Option("--full", help="Send every client, ignoring the ledger.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; change nothing.")
    ] = False,
    confirm: Annotated[
        bool,
        typer.Option(
            "--confirm", help="Send a mass change the guard held (see the activity's sync.held)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sync one tenant now (new and changed clients only, unless --full)."""
    with failures():
        service = runtime().sync_service()
        kind = SyncKind.FULL if full else SyncKind.MANUAL
        if as_json:
            report = service.sync(tenant, kind, full=full, dry_run=dry_run, confirm=confirm)
        else:
            # On stderr, and only for a person at a terminal: stdout stays the report alone.
            console = Console(stderr=True)
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
                disable=not console.is_terminal,
            ) as bar:
                task = bar.add_task("checking the audience", total=None)

                def progress(stage: str, n: int) -> None:
                    text = {
                        "backfill": "reading changes from MailChimp",
                        "plan": "comparing clients with the ledger",
                    }.get(stage, f"{n} contacts sent")
                    bar.update(task, description=text)

                report = service.sync(
                    tenant, kind, full=full, dry_run=dry_run, progress=progress, confirm=confirm
                )
        emit(report_json(report), as_json, lambda: _print_report(report))
        runtime().attention_notices().check(tenant)  # the host hears of a new problem
        if not report.ok:
            if report.held is not None:
                raise SyncHeld(report_message(report))
            failure: dict[Failure | None, type[CalendarspotsError]] = {
                Failure.CONTRACT: AudienceContractError,
                Failure.AUDIENCE_GONE: AudienceContractError,
                Failure.REVOKED: NotConnected,
            }
            raise failure.get(report.failure, SyncFailed)(report_message(report))


@app.command("nightly")
def nightly(
    now: Annotated[
        str,
        typer.Option(
            "--now",
            help="Pretend it is this instant for the schedule (ISO-8601; naive means UTC).",
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sync every connected tenant whose local night has come, once per local date."""
    with failures():
        container = runtime()
        instant = schedule_instant(now, container.clock())
        results: list[NightlyOutcome] = []

        def show(outcome: NightlyOutcome) -> None:
            if not as_json:
                mark = (
                    "ok" if outcome.ok else "FAILED" if outcome.night == "failed" else outcome.night
                )
                typer.echo(f"{outcome.tenant_id}: {mark}: {night_message(outcome)}")

        results = container.nightly_service().run(instant, on_result=show)
        data = {
            "now": instant.isoformat(),
            "synced": [
                {
                    "tenant": o.tenant_id,
                    "ok": o.ok,
                    **({"busy": True} if o.busy else {}),
                    **({"held": True} if o.night == "held" else {}),
                    "message": night_message(o),
                    **({"counts": o.report.counts.as_dict()} if o.report else {}),
                }
                for o in results
            ],
        }
        # No silence: whatever needs someone is said at every run, due or not (on stderr, and
        # in the JSON), so a cron job's mail tells it; a held tenant is among them.
        attention = attention_json(container.fleet_status().view())
        data["attention"] = attention
        container.attention_notices().sweep()  # and the host, once per change of each tenant
        emit(data, as_json, lambda: None if results else typer.echo("no tenant is due"))
        # A tenant another process is syncing right now is not a failure: a later run of
        # the night takes it if that sync did not finish the night.
        if not as_json:
            for item in attention:
                typer.echo(
                    f"attention: {item['tenant']}: {item['why']} Fix: {item['fix']}", err=True
                )
        failed = [o.tenant_id for o in results if o.night == "failed"]
        if failed:
            raise SyncFailed(
                f"the nightly sync failed for {len(failed)} tenant(s): {', '.join(failed)}"
            )

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
from calendarspots_mailchimp.entrypoints.cli.common import (
    emit,
    failures,
    language,
    say,
    schedule_instant,
    words,
)
from calendarspots_mailchimp.entrypoints.container import runtime
from calendarspots_mailchimp.entrypoints.i18n import N_
from calendarspots_mailchimp.entrypoints.messages import (
    attention_json,
    check_message,
    failure_facts,
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
        until = f"{link.expires_at:%Y-%m-%d %H:%M}"
        said = words()._("One use, valid until {until} UTC (15 minutes).", until=until)
        typer.echo(said, err=True)

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
            w = words()
            if result.webhooks_removed:
                typer.echo(w._("tenant {tenant} disconnected (webhook removed)", tenant=tenant))
            else:
                typer.echo(
                    w._("tenant {tenant} disconnected (no webhook to remove)", tenant=tenant)
                )
            if result.error:
                warning = w._(
                    "the webhook could not be removed ({error}): delete it in MailChimp "
                    "(Audience → Settings → Webhooks)",
                    error=result.error,
                )
                typer.echo(f"warning: {warning}", err=True)

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
            lambda: typer.echo(("ok: " if result.ok else "") + check_message(result, language())),
        )
        if not result.ok:
            if result.revoked:  # the operator's fix: a new link for the owner
                raise NotConnected(
                    result.message, code="needs_reauthorization", facts={"tenant": tenant}
                )
            raise AudienceContractError(result.message, code=result.code, facts=result.facts)


_WOULD = {
    "create": N_("  would create: {line}"),
    "update": N_("  would update: {line}"),
    "skip": N_("  would skip: {line}"),
}


def _print_report(report: SyncReport) -> None:
    lang, w = language(), words()
    say(report_message(report, lang))
    if report.dry_run:
        plan = plan_lines(report, lang)
        for line in plan["webhook"]:
            say(f"  {line}")
        for line in plan["opt_out"]:
            say(w._("  would mark in the client database: {line}", line=line))
        for bucket in ("create", "update", "skip"):
            for line in plan[bucket]:
                say(w._(_WOULD[bucket], line=line))
    else:
        for problem in report.problems[:50]:
            say(f"  {problem.email}: {reason_text(problem.code, lang)}")


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
                w = words()
                task = bar.add_task(w._("checking the audience"), total=None)

                def progress(stage: str, n: int) -> None:
                    text = {
                        "backfill": w._("reading changes from MailChimp"),
                        "plan": w._("comparing clients with the ledger"),
                    }.get(stage) or w.n_("{n} contact sent", "{n} contacts sent", n)
                    bar.update(task, description=text)

                report = service.sync(
                    tenant, kind, full=full, dry_run=dry_run, progress=progress, confirm=confirm
                )
        emit(report_json(report, language()), as_json, lambda: _print_report(report))
        runtime().attention_notices().check(tenant)  # the host hears of a new problem
        if not report.ok:
            if report.held is not None:
                raise SyncHeld(
                    report_message(report),
                    code="sync.held",
                    facts={**report.held, "tenant": report.tenant_id},
                )
            failure: dict[Failure | None, type[CalendarspotsError]] = {
                Failure.CONTRACT: AudienceContractError,
                Failure.AUDIENCE_GONE: AudienceContractError,
                Failure.REVOKED: NotConnected,
            }
            raise failure.get(report.failure, SyncFailed)(
                report_message(report), code="sync.failed", facts=failure_facts(report)
            )


@app.command("nightly")
def nightly(
    now: Annotated[
        str,
        typer.Option(
            "--now",
            help="Pretend it is this instant for the schedule (ISO-8601; naive means UTC).",
        ),
    ] = "",
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=64,
            help="Tenants synced at a time in this process: each is its own MailChimp account, "
            "so they overlap their waits (at most 10 connections per account whatever this is).",
        ),
    ] = 4,
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
                said = night_message(outcome, language())
                typer.echo(f"{outcome.tenant_id}: {mark}: {said}")

        results = container.nightly_service().run(instant, on_result=show, concurrency=concurrency)
        data = {
            "now": instant.isoformat(),
            "synced": [
                {
                    "tenant": o.tenant_id,
                    "ok": o.ok,
                    **({"busy": True} if o.busy else {}),
                    **({"held": True} if o.night == "held" else {}),
                    "message": night_message(o, language()),
                    **({"counts": o.report.counts.as_dict()} if o.report else {}),
                }
                for o in results
            ],
        }
        # No silence: whatever needs someone is said at every run, due or not (on stderr, and
        # in the JSON), so a cron job's mail tells it; a held tenant is among them.
        attention = attention_json(container.fleet_status().view(), language())
        data["attention"] = attention
        container.attention_notices().sweep()  # and the host, once per change of each tenant
        none = words()._("no tenant is due")
        emit(data, as_json, lambda: None if results else typer.echo(none))
        # A tenant another process is syncing right now is not a failure: a later run of
        # the night takes it if that sync did not finish the night.
        if not as_json:
            for item in attention:
                said = words()._(
                    "attention: {tenant}: {why} Fix: {fix}",
                    tenant=item["tenant"],
                    why=item["why"],
                    fix=item["fix"],
                )
                typer.echo(said, err=True)
        failed = [o.tenant_id for o in results if o.night == "failed"]
        if failed:
            raise SyncFailed(
                f"the nightly sync failed for {len(failed)} tenant(s): {', '.join(failed)}",
                code="nightly_failed",
                facts={"n": len(failed), "tenants": ", ".join(failed)},
            )

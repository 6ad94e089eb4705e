"""`cs-mailchimp`: the operators' command line."""

from __future__ import annotations

import sys

import typer

from calendarspots_mailchimp.entrypoints.cli import (
    activity,
    clients,
    db,
    operate,
    servers,
    status,
    tenants,
    worker,
)
from calendarspots_mailchimp.entrypoints.logs import configure_logging

app = typer.Typer(
    name="cs-mailchimp",
    help=(
        "Keep each calendarspots.com business's client database in sync with its own "
        "MailChimp audience. Settings come from CS_MAILCHIMP_* environment variables "
        "(or a .env file)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Without a name, a module's commands are top-level commands; with one, a command group.
app.add_typer(operate.app)
app.add_typer(activity.app)
app.add_typer(status.app)
app.add_typer(servers.app)
app.add_typer(worker.app)
app.add_typer(tenants.app, name="tenants")
app.add_typer(clients.app, name="clients")
app.add_typer(db.app, name="db")


def main() -> None:
    """The console script. Usage errors, like every failure, are one `error:` line on stderr
    (SPEC) rather than Typer's framed block; exit code 2 as Typer gives them."""
    configure_logging()
    try:
        # Not standalone: Typer raises its command-line errors here instead of printing them.
        code = app(prog_name="cs-mailchimp", standalone_mode=False)
    except typer.TyperException as exc:  # the public base of Typer's command-line errors
        code = exc.exit_code
        message = " ".join(exc.format_message().split())
        if not message:
            pass  # a group given no command: its help is the answer, Typer printed it
        elif code == 2:  # a usage error: it names the command whose help tells more
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx else "cs-mailchimp"
            typer.echo(f"error: {message} (see `{where} --help`)", err=True)
        else:
            typer.echo(f"error: {message}", err=True)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

"""`cs-mailchimp`: the operators' command line."""

from __future__ import annotations

import sys

import typer
import typer.main

# Typer carries its own copy of Click: its exceptions are the ones a command line raises.
from typer._click import exceptions as cli_errors

from calendarspots_mailchimp.entrypoints.cli import (
    activity,
    clients,
    db,
    operate,
    servers,
    state,
    tenants,
    worker,
)

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
app.add_typer(servers.app)
app.add_typer(worker.app)
app.add_typer(tenants.app, name="tenants")
app.add_typer(clients.app, name="clients")
app.add_typer(db.app, name="db")


def main() -> None:
    """The console script. Usage errors, like every failure, are one `error:` line on stderr
    (SPEC) rather than Click's framed block; exit code 2 as Click gives them."""
    try:
        command = typer.main.get_command(app)
        try:
            code = command.main(prog_name="cs-mailchimp", standalone_mode=False)
        except cli_errors.NoArgsIsHelpError as exc:
            code = exc.exit_code  # Typer has printed the help already
        except cli_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "cs-mailchimp"
            message = " ".join(exc.format_message().split())
            typer.echo(f"error: {message} (see `{where} --help`)", err=True)
            code = exc.exit_code
        except cli_errors.ClickException as exc:
            typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
            code = exc.exit_code
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            code = 1
        sys.exit(code if isinstance(code, int) else 0)
    finally:
        state.reset()


if __name__ == "__main__":  # pragma: no cover
    main()

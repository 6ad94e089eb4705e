"""`cs-mailchimp`: the operators' command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
import typer.main
from dependency_injector import providers

# Typer carries its own copy of Click: its exceptions are the ones a command line raises.
from typer._click import exceptions as cli_errors

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.entrypoints.cli import state
from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.errors import exit_code, one_line
from calendarspots_mailchimp.ports.clock import FixedClock

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


@contextmanager
def failures() -> Iterator[None]:
    """Every failure: one line on stderr, a non-zero exit code (entrypoints/errors.py)."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as exc:
        typer.echo(f"error: {one_line(exc)}", err=True)
        raise typer.Exit(exit_code(exc)) from None


def pretend_now(container: Container, now: str) -> datetime:
    """`--now`: every service built from here on sees that instant (naive means UTC)."""
    if now:
        try:
            at = datetime.fromisoformat(now)
        except ValueError as exc:
            raise InvalidInput(f"--now {now!r} is not an ISO-8601 date-time") from exc
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        # The schedule sees the pretended instant; the activity log keeps the real time, so
        # "newest first" stays true (only the first override counts as the real clock).
        if container.real_clock() is None:
            container.real_clock.override(providers.Object(container.clock()))
        container.clock.override(FixedClock(at.astimezone(UTC)))
        container.deps.reset()
    return container.clock().now()


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        text()


def _register() -> None:
    from calendarspots_mailchimp.entrypoints.cli import (
        activity,
        clients,
        db,
        operate,
        servers,
        tenants,
    )

    app.add_typer(tenants.app, name="tenants")
    app.add_typer(clients.app, name="clients")
    app.add_typer(db.app, name="db")
    operate.register(app)
    activity.register(app)
    servers.register(app)
    __import__(f"{__package__}.worker", fromlist=["register"]).register(app)


_register()


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

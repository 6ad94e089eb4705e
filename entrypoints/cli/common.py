"""What every command module shares: one failure line and its exit code, `--json` or text
output, and the `--now` instant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from dependency_injector import providers

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.entrypoints.container import Container
from calendarspots_mailchimp.entrypoints.errors import exit_code, one_line
from calendarspots_mailchimp.ports.clock import FixedClock


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

"""What every command module shares: one failure line and its exit code, `--json` or text
output, and the `--now` instant."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.validation import printable
from calendarspots_mailchimp.entrypoints.errors import exit_code, one_line
from calendarspots_mailchimp.entrypoints.i18n import Words, environment_language, language_of
from calendarspots_mailchimp.entrypoints.i18n import translate as _translate
from calendarspots_mailchimp.ports.clock import Clock

_language = ["en"]
_asked = [""]  # `--lang` as the console script found it anywhere on the line (main.py)


def ask_language(lang: str) -> None:
    _asked[0] = lang


def use_language(lang: str) -> None:
    """The language of this run's messages: `--lang` (global, or a command's own such as
    `demo --lang`), else the environment's: CS_MAILCHIMP_LANG, then LC_ALL/LC_MESSAGES/LANG."""
    lang = lang or _asked[0]
    _language[0] = language_of(lang, environment_language()) if lang else environment_language()


def language() -> str:
    return _language[0]


def words() -> Words:
    return _translate(language())


@contextmanager
def failures() -> Iterator[None]:
    """Every failure: one line on stderr, a non-zero exit code (entrypoints/errors.py)."""
    try:
        yield
    except (typer.Exit, BrokenPipeError):
        raise  # a reader that stopped reading (`| head`): main() ends quietly
    except Exception as exc:
        say(f"error: {one_line(exc, language())}", err=True)
        raise typer.Exit(exit_code(exc)) from None


def say(line: str = "", err: bool = False) -> None:
    """One line for a person's terminal: control and bidi characters from stored data (a
    name, a webhook's address, MailChimp's words) are shown escaped (`\\x1b`, `\\n`), so
    nothing printed can forge a line, move the cursor or recolour the screen."""
    typer.echo(printable(line), err=err)


def schedule_instant(now: str, clock: Clock) -> datetime:
    """`--now`: the instant the schedule is asked about (naive means UTC); the clock's now
    when not given. Only the schedule sees it: syncs, leases and activity keep the real time."""
    if not now:
        return clock.now()
    try:
        at = datetime.fromisoformat(now)
    except ValueError as exc:
        raise InvalidInput(
            f"--now {now!r} is not an ISO-8601 date-time", code="now", facts={"now": now}
        ) from exc
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        text()

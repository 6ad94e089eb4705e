"""Typer's own command-line errors (a missing argument, an unknown option, a bad value) in the
reader's language.

Typer (0.29) parses with its vendored copy of click, whose messages are English f-strings (no
gettext, unlike upstream click), and checks values with pydantic, whose messages are English
too. So they are worded here: the sentence Typer formats is matched against the few shapes
its parser writes (below, each with its msgid in the catalog), and a bad value's reason is
read from the pydantic `ValidationError` Typer chains as the cause (its error `type` and
`ctx`, pydantic's public API). A sentence of a shape not listed here stays as Typer wrote it;
tests/e2e/test_cli_french.py checks the common ones."""

from __future__ import annotations

import re
from typing import Any

from calendarspots_mailchimp.entrypoints.i18n import N_, Words

# (the English shape Typer writes, the catalog's msgid with the same named parts)
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"\Z", re.DOTALL), msgid)
    for pattern, msgid in (
        (r"Missing argument (?P<name>.+?)\.", N_("Missing argument {name}.")),
        (r"Missing option (?P<name>.+?)\.", N_("Missing option {name}.")),
        (r"Missing parameter (?P<name>.+?)\.", N_("Missing parameter {name}.")),
        (
            r"No such option: (?P<option>\S+) \(Possible options: (?P<options>.*)\)",
            N_("No such option: {option} (possible options: {options})"),
        ),
        (r"No such option: (?P<option>\S+)", N_("No such option: {option}")),
        (r"No such command (?P<name>.+?)\.", N_("No such command {name}.")),
        (r"Missing command\.", N_("Missing command.")),
        (
            r"Got unexpected extra argument\(s\) \((?P<args>.*)\)",
            N_("Got unexpected extra argument(s) ({args})"),
        ),
        (r"Option (?P<option>.+?) does not take a value\.", N_("Option {option} takes no value.")),
        (
            r"Option (?P<option>.+?) requires an argument\.",
            N_("Option {option} requires a value."),
        ),
        (
            r"Option (?P<option>.+?) requires (?P<n>\d+) arguments\.",
            N_("Option {option} requires {n} values."),
        ),
        (
            r"Argument (?P<name>.+?) takes (?P<n>\d+) values\.",
            N_("Argument {name} takes {n} values."),
        ),
        (
            r"Invalid value for (?P<name>.+?): (?P<reason>.*)",
            N_("Invalid value for {name}: {reason}"),
        ),
        (r"Invalid value: (?P<reason>.*)", N_("Invalid value: {reason}")),
    )
)

# pydantic's error types for the values the command line takes (ints, floats, bools, ranges).
_REASONS = {
    "int_parsing": N_("not a whole number"),
    "int_type": N_("not a whole number"),
    "int_from_float": N_("not a whole number"),
    "float_parsing": N_("not a number"),
    "float_type": N_("not a number"),
    "bool_parsing": N_("not a yes/no value"),
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "less_than": N_("must be less than {lt}"),
    "enum": N_("must be one of: {expected}"),
    "literal_error": N_("must be one of: {expected}"),
}


def usage_error(exc: BaseException, english: str, words: Words) -> str:
    """`english` (the one-line sentence Typer formatted for `exc`) in `words`' language."""
    if words.lang == "en":
        return english
    for pattern, msgid in _SHAPES:
        found = pattern.match(english)
        if found is None:
            continue
        parts = {name: _quoted(value, words) for name, value in found.groupdict().items()}
        if "reason" in parts:
            parts["reason"] = _reason(exc, found["reason"], words)
        return words._(msgid, **parts)
    return english


def _quoted(value: str, words: Words) -> str:
    """`'--port'` → `« --port »` in French (Typer quotes names the English way)."""
    if words.lang == "fr" and len(value) > 1 and value[0] == value[-1] == "'":
        return f"« {value[1:-1]} »"
    return value


def _reason(exc: BaseException, english: str, words: Words) -> str:
    errors = _validation_errors(exc.__cause__)
    if not errors:
        return english
    first = errors[0]
    msgid = _REASONS.get(str(first.get("type", "")))
    if msgid is None:
        return english
    facts = {str(k): str(v) for k, v in (first.get("ctx") or {}).items()}
    try:
        return words._(msgid).format(**facts)
    except (KeyError, IndexError):  # a pydantic version that names its facts otherwise
        return english


def _validation_errors(cause: BaseException | None) -> list[dict[str, Any]]:
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return []
    try:
        found = errors()
    except Exception:  # not pydantic's ValidationError after all
        return []
    return [dict(e) for e in found] if isinstance(found, list) else []

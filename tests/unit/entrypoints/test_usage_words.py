"""Typer's own usage errors in French: the shapes its parser writes, a bad value's reason
from pydantic's error type; English and any unknown shape stay as Typer wrote them."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from calendarspots_mailchimp.entrypoints.cli.usage_words import usage_error
from calendarspots_mailchimp.entrypoints.i18n import translate

FR, EN = translate("fr"), translate("en")


def _caused_by(value: object, annotation: object) -> BaseException:
    error = Exception("bad value")
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        error.__cause__ = exc
    return error


def test_english_is_left_as_typer_wrote_it() -> None:
    said = "Missing argument 'tenant'."
    assert usage_error(Exception(), said, EN) == said


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("Missing argument 'tenant'.", "Argument « tenant » manquant."),
        ("Missing option '--name'.", "Option « --name » manquante."),
        ("No such option: --x", "Option inconnue\u00a0: --x"),
        (
            "No such option: --x (Possible options: --json, --now)",
            "Option inconnue\u00a0: --x (options possibles\u00a0: --json, --now)",
        ),
        ("No such command 'nope'.", "Commande « nope » inconnue."),
        ("Missing command.", "Commande manquante."),
        ("Got unexpected extra argument(s) (b c)", "Argument(s) en trop\u00a0: b c"),
        ("Option '--host' requires an argument.", "L'option « --host » demande une valeur."),
        ("Option '--json' does not take a value.", "L'option « --json » ne prend pas de valeur."),
    ],
)
def test_each_shape_of_typer_is_french(english: str, french: str) -> None:
    assert usage_error(Exception(), english, FR) == french


@pytest.mark.parametrize(
    ("value", "annotation", "reason"),
    [
        ("abc", int, "ce n'est pas un nombre entier"),
        ("x", float, "ce n'est pas un nombre"),
        (0, Annotated[int, Field(ge=1)], "doit valoir au moins 1"),
        (70000, Annotated[int, Field(le=65535)], "doit valoir au plus 65535"),
    ],
)
def test_a_bad_value_says_why_in_french(value: object, annotation: object, reason: str) -> None:
    said = usage_error(
        _caused_by(value, annotation), "Invalid value for '--port': Input should be …", FR
    )
    assert said == f"Valeur invalide pour « --port »\u00a0: {reason}"


def test_a_reason_pydantic_words_otherwise_is_kept_rather_than_guessed() -> None:
    unknown = _caused_by("x" * 5, Annotated[str, Field(max_length=2)])
    said = usage_error(unknown, "Invalid value for '--id': String should have at most 2", FR)
    assert said == "Valeur invalide pour « --id »\u00a0: String should have at most 2"
    assert usage_error(Exception(), "Something Typer never said.", FR) == (
        "Something Typer never said."
    )

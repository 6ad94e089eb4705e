"""core/validation.py: the one rule book for what people type."""

from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client
from calendarspots_mailchimp.core.validation import (
    check_tenant_id,
    client_field_problems,
    is_tenant_id,
    neutralise_formula,
    printable,
)


@pytest.mark.parametrize(
    ("cell", "sent"),
    [
        ('=HYPERLINK("http://evil","clic")', '\'=HYPERLINK("http://evil","clic")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Zoé", "Zoé"),
        ("D'Amour", "D'Amour"),
        ("Jean-Luc", "Jean-Luc"),  # a dash inside is harmless
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised_by_the_owasp_rule(cell: str, sent: str) -> None:
    assert neutralise_formula(cell) == sent


def test_mailchimp_gets_neutralised_names_and_the_hash_follows_what_is_sent() -> None:
    typed = Client("c1", "a@example.com", "=1+1", "@Lee")
    assert typed.first_name == "=1+1"  # kept as typed
    assert typed.merge_fields()["FNAME"] == "'=1+1"
    assert typed.merge_fields()["LNAME"] == "'@Lee"
    plain = Client("c1", "a@example.com", "Ann", "Lee")
    assert plain.merge_fields()["FNAME"] == "Ann"
    # The ledger's hash is of what is sent: a name pushed raw before this rule goes again.
    assert typed.content_hash() == Client("c1", "a@example.com", "'=1+1", "'@Lee").content_hash()
    assert typed.content_hash() != Client("c1", "a@example.com", "=1+2", "@Lee").content_hash()


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable("Ann\x1b[2J\r\nforged line\x00\u202eevil\x85") == (
        "Ann\\x1b[2J\\r\\nforged line\\x00\\u202eevil\\x85"
    )
    assert printable("Zoé D'Amour, 日本") == "Zoé D'Amour, 日本"


@pytest.mark.parametrize(
    ("tenant_id", "ok"),
    [
        ("salon", True),
        ("salon-belle.2_b", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("salon\n", False),  # `$` would have matched before the newline
        ("-salon", False),
        ("sa\x00lon", False),
        ("", False),
        ("salon/x", False),
    ],
)
def test_tenant_ids(tenant_id: str, ok: bool) -> None:
    assert is_tenant_id(tenant_id) is ok
    if not ok:
        with pytest.raises(InvalidInput, match="1-64 letters"):
            check_tenant_id(tenant_id)


def test_client_fields_limits() -> None:
    assert client_field_problems("a" * 254, "i" * 100, "f" * 100, "l" * 100) == []
    assert client_field_problems("a" * 255, "i" * 101, "f\x00", "l" * 101) == [
        "email is longer than 254 characters",
        "client_id is longer than 100 characters",
        "first_name holds a control character",
        "last_name is longer than 100 characters",
    ]

from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.services.client_rows import parse_csv


def test_good_rows_land_and_bad_rows_are_reported_with_their_line() -> None:
    text = (
        "\ufeffemail,first_name,last_name,birthday,client_id\n"
        "ann@example.com,Ann,D'Amour,1990-05-15,c1\n"
        "not-an-email,Bob,Smith,,c2\n"
        "zoe@example.com,Zoé,Côté,02-30,c3\n"
        "ANN@example.com,Ann,Again,,c4\n"
        'emile@example.com,Émile,"O\'Neil, Jr",02-29,c5\n'
        "short@example.com,Only,Three\n"
        "\n"
        "noid@example.com,No,Id,,\n"
    )
    clients, errors = parse_csv(text)
    assert [c.email for c in clients] == [
        "ann@example.com",
        "not-an-email",  # kept: the sync skips and reports it (SPEC)
        "emile@example.com",
        "noid@example.com",
    ]
    assert clients[2].last_name == "O'Neil, Jr" and clients[2].first_name == "Émile"
    assert clients[2].birthday is not None and clients[2].birthday.mailchimp() == "02/29"
    assert clients[3].client_id == ""
    assert [(e.line, e.reason.split(" ")[0], e.kept) for e in errors] == [
        (3, "invalid", True),
        (4, "impossible", False),
        (5, "duplicate", False),
        (7, "expected", False),
    ]


def test_header_problems_are_refused_as_a_whole() -> None:
    with pytest.raises(InvalidInput, match="lacks birthday"):
        parse_csv("email,first_name,last_name\n")
    with pytest.raises(InvalidInput, match="empty"):
        parse_csv("")
    with pytest.raises(InvalidInput, match="unknown column"):
        parse_csv("email,first_name,last_name,birthday,phone\n")


def test_columns_may_come_in_any_order() -> None:
    clients, errors = parse_csv(
        "birthday,last_name,email,first_name\n03-04,Lee,lee@example.com,Kim\n"
    )
    assert not errors
    assert clients[0].first_name == "Kim" and clients[0].birthday is not None

from __future__ import annotations

import io

import pytest

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Client
from calendarspots_mailchimp.core.services.client_rows import RowError, parse_csv, read_rows
from calendarspots_mailchimp.core.validation import CLIENT_ID_MAX, EMAIL_MAX, NAME_MAX


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


HEADER = "email,first_name,last_name,birthday,client_id"


def read(data: bytes) -> tuple[list[Client], list[RowError]]:
    clients, errors = [], []
    for item in read_rows(lambda: io.BytesIO(data)):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            clients.append(item.client)
    return clients, errors


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),  # Excel's "CSV UTF-8" starts with a BOM
        ("utf-8-sig", ";"),  # French Excel
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
        ("utf-16-be", "\t"),
    ],
)
def test_files_as_people_save_them(encoding: str, delimiter: str) -> None:
    last = '"Côté, Jr"' if delimiter == "," else "Côté, Jr"
    lines = [
        HEADER.replace(",", delimiter),
        delimiter.join(["zoe@example.com", "Zoé", last, "02-29", "Z1"]),
        delimiter.join(["emile@example.com", "Émile", "O'Neil", "", "E1"]),
    ]
    text = "\r\n".join(lines) + "\r\n"
    data = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    clients, errors = read(data)
    assert errors == []
    assert [(c.client_id, c.first_name, c.last_name) for c in clients] == [
        ("Z1", "Zoé", "Côté, Jr"),
        ("E1", "Émile", "O'Neil"),
    ]


def test_a_duplicated_header_column_is_refused_in_one_line() -> None:
    with pytest.raises(InvalidInput) as refused:
        read(b"email,first_name,email,last_name,birthday\na@x.com,A,b@x.com,B,\n")
    assert refused.value.message == "the CSV header names email twice: keep one column each"


def test_an_unclosed_quote_is_reported_on_its_line_and_swallows_nothing() -> None:
    data = (
        f"{HEADER}\n"
        'ann@example.com,"Ann,Lee,,A1\n'  # the quote never closes
        "bob@example.com,Bob,Roy,,B1\n"
        "cat@example.com,Cat,Day,,C1\n"
    ).encode()
    clients, errors = read(data)
    assert [c.client_id for c in clients] == ["B1", "C1"]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [
        (2, "a quote opened on this line is not closed (or text follows it)")
    ]


def test_control_characters_and_long_values_are_refused_per_row_without_echo() -> None:
    long_id = "i" * (CLIENT_ID_MAX + 1)
    data = (
        f"{HEADER}\n"
        "nul@example.com,A\x00nn,Lee,,N1\n"
        "esc@example.com,\x1b[31mRed,Lee,,E1\n"
        f"long@example.com,Ann,Lee,,{long_id}\n"
        f"{'e' * 250}@example.com,Ann,Lee,,L2\n"
        f"name@example.com,{'n' * (NAME_MAX + 1)},Lee,,L3\n"
        f"edge@example.com,{'n' * NAME_MAX},Lee,,OK\n"
        "tab@example.com,Ann\t,Lee,,T1\n"
        "bday@example.com,Ann,Lee," + "1" * 5000 + ",B1\n"
    ).encode()
    clients, errors = read(data)
    assert [c.client_id for c in clients] == ["OK"]
    assert [(e.line, e.reason) for e in errors] == [
        (2, "first_name holds a control character"),
        (3, "first_name holds a control character"),
        (4, f"client_id is longer than {CLIENT_ID_MAX} characters"),
        (5, f"email is longer than {EMAIL_MAX} characters"),
        (6, f"first_name is longer than {NAME_MAX} characters"),
        (8, "first_name holds a control character"),
        (9, "birthday is not YYYY-MM-DD or MM-DD"),
    ]


def test_repeated_addresses_and_ids_name_the_first_line() -> None:
    data = (
        f"{HEADER}\n"
        "a@example.com,A,A,,1\n"
        "b@example.com,B,B,,2\n"
        "A@EXAMPLE.com,C,C,,3\n"
        "d@example.com,D,D,,2\n"
    ).encode()
    clients, errors = read(data)
    assert [c.client_id for c in clients] == ["1", "2"]
    assert [e.reason for e in errors] == [
        "duplicate email 'A@EXAMPLE.com' (first on line 2)",
        "duplicate client_id '2' (first on line 3)",
    ]


def test_a_file_in_another_encoding_is_refused_whole_with_its_line() -> None:
    with pytest.raises(InvalidInput, match=r"not UTF-8 \(line 3\)"):
        read(f"{HEADER}\na@x.com,A,B,,\nz@x.com,Zoé,C,,\n".encode("latin-1"))

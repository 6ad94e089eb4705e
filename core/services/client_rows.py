"""CSV rows into clients, streamed: each bad row reported with its line number, never fatal.

The file is read as people make it: UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's
"Unicode text"), separated by commas, semicolons (French Excel) or tabs — the separator is the
one that splits the header line into the expected columns. Every physical line is one row:
no cell may hold a line break (it is a control character), so a quote left open is reported
on its own line and swallows none of the rows after it.

Two passes over the file, holding no row: the first checks the encoding and finds repeated
addresses and ids (64-bit hashes with their line, sorted), the second hands out the rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Birthday, Client, is_valid_email, normalize_email
from calendarspots_mailchimp.core.services.csv_file import read_lines, shape_of, split
from calendarspots_mailchimp.core.validation import (
    CLIENT_ID_MAX,
    EMAIL_MAX,
    NAME_MAX,
    Problem,
    client_field_problems,
    has_control,
)

BIRTHDAY_MAX = 32
UNCLOSED_QUOTE = (
    "a quote opened on this line is not closed (or text follows it): row skipped; the "
    "next line is read as a row of its own"
)

Opener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class RowError:
    """`code` and `facts` say what is wrong (entrypoints/messages.py words them); `reason` is
    the same in English."""

    line: int
    reason: str
    kept: bool = False  # a warning: the row landed anyway
    code: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class ParsedRow:
    line: int
    client: Client


@dataclass
class _Seen:
    """Addresses and ids of the good rows, as 64-bit hashes with their line (12 bytes each)."""

    emails: array[int] = field(default_factory=lambda: array("Q"))
    email_lines: array[int] = field(default_factory=lambda: array("I"))
    ids: array[int] = field(default_factory=lambda: array("Q"))
    id_lines: array[int] = field(default_factory=lambda: array("I"))


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _problems(line: int, problems: list[Problem]) -> list[RowError]:
    """One row's problems as one RowError (`row.problems`: each one's code and facts)."""
    parts = [{"code": p.code, "facts": p.facts} for p in problems]
    why = "; ".join(p.text for p in problems)
    return [RowError(line, why, code="row.problems", facts={"problems": parts})]


def _client(
    line: int, row: list[str], index: dict[str, int], clean: bool
) -> ParsedRow | list[RowError]:
    """The row's client, or why it is skipped. No cell may hold a control character, not
    even at its ends (where spaces are trimmed): the value is never echoed back. `clean`:
    the line holds none (then no cell is searched)."""
    if not clean:
        controls = [
            Problem(f"{name} holds a control character", "text.control", {"field": name})
            for name, i in index.items()
            if has_control(row[i])
        ]
        if controls:
            return _problems(line, controls)
    email = normalize_email(row[index["email"]])
    client_id = row[index["client_id"]].strip() if "client_id" in index else ""
    first, last = row[index["first_name"]].strip(), row[index["last_name"]].strip()
    raw_birthday = row[index["birthday"]]
    if (
        len(email) > EMAIL_MAX
        or len(client_id) > CLIENT_ID_MAX
        or max(len(first), len(last)) > NAME_MAX
        or len(raw_birthday) > BIRTHDAY_MAX
    ):
        problems = client_field_problems(email, client_id, first, last)
        if len(raw_birthday) > BIRTHDAY_MAX:
            problems.append(Problem("birthday is not YYYY-MM-DD or MM-DD", "row.birthday", {}))
        if problems:
            return _problems(line, problems)
    if not email:
        return [RowError(line, "email is empty", code="row.no_email")]
    try:
        birthday = Birthday.parse(raw_birthday)
    except InvalidInput as exc:
        return [RowError(line, exc.message, code=exc.code, facts=exc.facts)]
    return ParsedRow(line, Client(client_id, email, first, last, birthday))


def _rows(
    opener: Opener, repeats: dict[int, tuple[str, int]], seen: _Seen | None = None
) -> Iterator[ParsedRow | RowError]:
    """Every row of the file, in order: a client, or a problem (a warning comes just before
    its client). `repeats` says which lines repeat an earlier line's email or client_id."""
    with opener() as stream:
        lines = read_lines(stream)
        shape = shape_of(next(lines, None))
        delimiter, width = shape.delimiter, len(shape.header)
        index = {name: shape.header.index(name) for name in shape.header}
        email_at = index["email"]
        for line, text in lines:
            try:
                # Without a quote, CSV is a plain split (the csv module's answer, faster).
                row = split(text, delimiter) if '"' in text else text.split(delimiter)
            except csv.Error:
                yield RowError(line, UNCLOSED_QUOTE, code="row.quote")
                continue
            if (len(row) != width or not row[email_at].strip()) and not any(
                cell.strip() for cell in row
            ):
                continue  # an empty line, or separators only
            if len(row) != width:
                facts = {"expected": width, "found": len(row)}
                why = f"expected {width} columns, found {len(row)}"
                yield RowError(line, why, code="row.columns", facts=facts)
                continue
            clean = not has_control(text.replace("\t", "") if delimiter == "\t" else text)
            result = _client(line, row, index, clean)
            if isinstance(result, list):
                yield from result
                continue
            yield from _checked(result, repeats, seen)


def _checked(
    row: ParsedRow, repeats: dict[int, tuple[str, int]], seen: _Seen | None
) -> Iterator[ParsedRow | RowError]:
    client, line = row.client, row.line
    repeat = repeats.get(line)
    if repeat is not None:
        what, first = repeat
        if what == "email":
            code, facts = "row.same_email", {"email": client.email, "first": first}
        else:
            code, facts = "row.same_id", {"client": client.client_id, "first": first}
        why = f"duplicate {what} {next(iter(facts.values()))!r} (first on line {first})"
        yield RowError(line, why, code=code, facts=facts)
        return
    if not is_valid_email(client.email):
        # Kept: the client exists in the business's database whatever its address; the
        # sync skips and reports it (SPEC: "skipped and reported, not fatal") until fixed.
        yield RowError(
            line,
            f"invalid email address {client.email!r}: kept, the sync skips this client until "
            "the address is fixed",
            kept=True,
            code="row.invalid_email",
            facts={"email": client.email},
        )
    if seen is not None:
        seen.emails.append(_key(client.email.lower()))
        seen.email_lines.append(line)
        if client.client_id:
            seen.ids.append(_key(client.client_id))
            seen.id_lines.append(line)
    yield row


def _repeated(keys: array[int], lines: array[int]) -> dict[int, int]:
    """Line -> the first line with the same key, for every line after the first."""
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: file order kept
    repeats: dict[int, int] = {}
    previous, first = -1, 0
    for i in order:
        if keys[i] == previous:
            repeats[lines[i]] = first
        else:
            previous, first = keys[i], lines[i]
    return repeats


def scan(opener: Opener) -> dict[int, tuple[str, int]]:
    """First pass: refuses a file that cannot be read as a whole (encoding, header) and
    returns which lines repeat an earlier good line's email (any case) or client_id.
    Two different values share a 64-bit hash with a chance of about 3e-8 in a million-row
    file; the row would then be reported as a duplicate, never lost silently."""
    seen = _Seen()
    for _ in _rows(opener, {}, seen):
        pass
    repeats = {
        line: ("email", first) for line, first in _repeated(seen.emails, seen.email_lines).items()
    }
    for line, first in _repeated(seen.ids, seen.id_lines).items():
        repeats.setdefault(line, ("client_id", first))
    return repeats


def read_rows(opener: Opener) -> Iterator[ParsedRow | RowError]:
    """Both passes: the rows with their line numbers, each problem in line order."""
    repeats = scan(opener)
    yield from _rows(opener, repeats)


def parse_csv(text: str) -> tuple[list[Client], list[RowError]]:
    """Clients, and every problem (warnings for kept rows have `kept`), from text in memory."""
    data = text.encode("utf-8")
    clients: list[Client] = []
    errors: list[RowError] = []
    for item in read_rows(lambda: io.BytesIO(data)):
        if isinstance(item, ParsedRow):
            clients.append(item.client)
        else:
            errors.append(item)
    return clients, errors

"""Reading a CSV file as people save it: the encoding from its BOM (UTF-8 with or without
one, UTF-16 with one: Excel's "Unicode text"), the separator from the header line (comma,
semicolon as French Excel writes, or tab), one row per physical line."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.validation import has_control

REQUIRED_COLUMNS = ("email", "first_name", "last_name", "birthday")
OPTIONAL_COLUMNS = ("client_id",)
EXPECTED_HEADER = "email,first_name,last_name,birthday[,client_id]"
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Shape:
    """What the header line said: how to read every other line."""

    delimiter: str
    header: list[str]


def _encoding(stream: BinaryIO) -> str:
    head = stream.read(4)
    stream.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the codec reads the BOM and the byte order it gives
    return "utf-8"  # with or without its BOM


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """(line number, text without its line ending); line 1 is the header."""
    if _encoding(stream) == "utf-16":
        yield from _utf16_lines(stream)
        return
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                f"the CSV file is not UTF-8 (line {number}): save it as CSV UTF-8, or as "
                "Unicode text",
                code="csv.not_utf8",
                facts={"line": number},
            ) from None
        yield number, (text.removeprefix("\ufeff") if number == 1 else text).rstrip("\r\n")


def _utf16_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
    number = 0
    try:
        for number, line in enumerate(text, start=1):
            yield number, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"the CSV file is not UTF-16 (after line {number}): save it again as Unicode text",
            code="csv.not_utf16",
            facts={"line": number},
        ) from None
    finally:
        text.detach()


def split(text: str, delimiter: str) -> list[str]:
    return next(csv.reader((text,), delimiter=delimiter, strict=True))


def shape_of(first: tuple[int, str] | None) -> Shape:
    if first is None or not first[1].strip():
        raise InvalidInput(
            f"the CSV file is empty: expected a header {EXPECTED_HEADER}",
            code="csv.empty",
            facts={"expected": EXPECTED_HEADER},
        )
    candidates = []
    for delimiter in DELIMITERS:
        try:
            cells = split(first[1].removeprefix("\ufeff"), delimiter)
        except csv.Error:
            continue
        header = [c.strip().lower().removeprefix("\ufeff") for c in cells]
        candidates.append((all(c in header for c in REQUIRED_COLUMNS), len(header), header))
    if not candidates:
        raise InvalidInput(
            f"the CSV header cannot be read: expected {EXPECTED_HEADER}",
            code="csv.header_unreadable",
            facts={"expected": EXPECTED_HEADER},
        )
    _, _, header = max(candidates, key=lambda c: (c[0], c[1]))
    delimiter = DELIMITERS[[c[2] for c in candidates].index(header)]
    _check_header(header)
    return Shape(delimiter, header)


def _check_header(header: list[str]) -> None:
    twice = sorted({c for c in header if header.count(c) > 1 and c})
    if twice:
        names = ", ".join(twice)
        raise InvalidInput(
            f"the CSV header names {names} twice: keep one column each",
            code="csv.header_twice",
            facts={"columns": names},
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        names = ", ".join(missing)
        raise InvalidInput(
            f"the CSV header lacks {names}: expected {EXPECTED_HEADER}",
            code="csv.header_lacks",
            facts={"columns": names, "expected": EXPECTED_HEADER},
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        shown = ", ".join(repr(c) if has_control(c) else c for c in unknown)
        raise InvalidInput(
            f"the CSV header has unknown column(s) {shown}",
            code="csv.header_unknown",
            facts={"columns": shown, "n": len(unknown)},
        )

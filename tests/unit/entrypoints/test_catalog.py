"""The catalog: every msgid the code uses (extracted from the source with Babel, plus every
`--help` text) has a French translation in entrypoints/locales/fr/LC_MESSAGES/messages.po —
non-empty, not fuzzy, with the same placeholders; and the .po has no msgid the code dropped."""

from __future__ import annotations

import re
from string import Formatter

import pytest

from calendarspots_mailchimp.entrypoints.i18n import translate
from calendarspots_mailchimp.entrypoints.i18n_extract import extract, read

TEMPLATE = extract()
FRENCH = read("fr")


def _ids() -> list[str]:
    return sorted(m.id if isinstance(m.id, str) else m.id[0] for m in TEMPLATE if m.id)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_the_source_has_msgids_to_check() -> None:
    assert len(_ids()) > 300  # the extraction found the code's words (and --help's)
    assert "Sync finished: {counts}" in _ids()
    assert "Print JSON." in _ids()  # a --help text


@pytest.mark.parametrize("msgid", _ids())
def test_every_message_has_its_french(msgid: str) -> None:
    english = TEMPLATE[msgid]
    french = FRENCH.get(msgid)
    assert french is not None, f"no French for {msgid!r}: run scripts/i18n.sh, then translate"
    assert not french.fuzzy, f"fuzzy French for {msgid!r}"
    strings = french.string if isinstance(french.string, tuple) else (french.string,)
    ids = english.id if isinstance(english.id, tuple) else (english.id,)
    assert len(strings) == 2 if isinstance(english.id, tuple) else len(strings) == 1
    for text in strings:
        assert text.strip(), f"empty French for {msgid!r}"
        assert _placeholders(text) == _placeholders(ids[0]), (msgid, text)


def test_the_po_keeps_no_msgid_the_code_dropped() -> None:
    stale = sorted(m.id for m in FRENCH if m.id and m.id not in TEMPLATE)
    assert stale == [], "run scripts/i18n.sh"


def test_plurals_numbers_and_dates_follow_the_language() -> None:
    from datetime import UTC, datetime

    fr, en = translate("fr"), translate("en")
    assert fr.n_("{n} added", "{n} added", 1) == "1\u00a0ajouté"  # never "1 ajoutés"
    assert fr.n_("{n} added", "{n} added", 0) == "0\u00a0ajouté"
    assert fr.n_("{n} added", "{n} added", 1234) == "1\u202f234\u00a0ajoutés"
    assert en.n_("{n} added", "{n} added", 1234) == "1,234 added"
    at = datetime(2026, 12, 4, 5, 22, tzinfo=UTC)  # 0 h 22 in Montréal
    assert fr.date(at, "America/Montreal") == "4\u00a0décembre 2026"
    assert fr.time(at, "America/Montreal") == "0\u00a0h\u00a022"
    assert en.date(at, "America/Montreal") == "December 4, 2026"
    assert en.time(at, "America/Montreal") == "12:22 AM"
    first = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert fr.date(first, "Europe/Paris").startswith("1er")


def test_an_unknown_language_is_english() -> None:
    assert translate("de").lang == "en"
    assert translate("de")._("Sync now") == "Sync now"


def test_a_translation_never_builds_french_from_english_pieces() -> None:
    # No French string keeps an English sentence word for word (a forgotten copy).
    copies = [
        m.id
        for m in FRENCH
        if isinstance(m.id, str)
        and m.string == m.id
        and re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", m.id)
    ]
    assert copies == []

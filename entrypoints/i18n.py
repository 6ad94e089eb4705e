"""The one catalog of words people read: English msgids in the code, French (and any other
language) in `entrypoints/locales/<lang>/LC_MESSAGES/messages.po`.

    w = translate("fr")
    w._("Sync finished: {created} added", created=3)        # gettext, then str.format
    w.n_("{n} client removed", "{n} clients removed", n)   # ngettext; {n} is a number in words
    TABLE = {"denied": N_("MailChimp authorization was not granted")}  # marked, worded later
    w._(TABLE["denied"])

Placeholders are named (`{name}`), the same in every language. Numbers given as `{n}` to `n_`
(and any value passed through `w.number`) are written the reader's way ("1 234" in French);
dates and times go through `w.date` / `w.time` in the tenant's time zone.

The `.po` files are read at first use and cached (no compiled `.mo` to go stale). After adding
or changing a msgid, run `scripts/i18n.sh` (Babel extracts `messages.pot` and updates the
`.po`), then write the French; `tests/unit/entrypoints/test_catalog.py` fails while any msgid
has no French.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("en", "fr")
DEFAULT = "en"
LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"


def N_(msgid: str) -> str:
    """Marks a msgid for extraction where it is defined; it is translated where it is used."""
    return msgid


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    path = po_path(lang)
    if not path.exists():
        return gettext.NullTranslations()  # English: the msgids are the English words
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they stay English
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def language_of(text: str | None, default: str = DEFAULT) -> str:
    """`fr`, `fr_CA.UTF-8`, `fr-CA`, `FR` → `fr`; anything unknown → `default`."""
    code = (text or "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else default


def environment_language() -> str:
    """The operator's language: CS_MAILCHIMP_LANG, else LC_ALL / LC_MESSAGES / LANG, else English."""
    for name in ("CS_MAILCHIMP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return language_of(value)
    return DEFAULT


@dataclass(frozen=True)
class Words:
    """gettext / ngettext, numbers and dates for one language."""

    lang: str

    def _(self, msgid: str, /, **facts: Any) -> str:
        text = _translations(self.lang).gettext(msgid)
        return text.format(**facts) if facts else text

    def n_(self, singular: str, plural: str, n: int, /, **facts: Any) -> str:
        text = _translations(self.lang).ngettext(singular, plural, n)
        return text.format(n=self.number(n), **facts)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.lang)

    def date(self, at: datetime, zone: str) -> str:
        """The day in the tenant's zone, as people write it: "4 décembre 2026", "December 4, 2026"."""
        local = at.astimezone(ZoneInfo(zone))
        if self.lang == "fr":
            day = "1er" if local.day == 1 else str(local.day)
            return f"{day}\u00a0{format_date(local, 'MMMM y', locale='fr')}"
        return format_date(local, "MMMM d, y", locale=self.lang)

    def time(self, at: datetime, zone: str) -> str:
        """The time of day in the tenant's zone: "0 h 22", "12:22 AM"."""
        local = at.astimezone(ZoneInfo(zone))
        if self.lang == "fr":
            return format_time(local, "H'\u00a0h\u00a0'mm", locale="fr")
        return format_time(local, "h:mm a", locale=self.lang)


@cache
def translate(lang: str) -> Words:
    """The words of `lang` (an unknown language gets English)."""
    return Words(lang if lang in LANGUAGES else DEFAULT)

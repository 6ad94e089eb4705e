"""Babel extraction for the catalog: every msgid in `entrypoints/` (`_`, `n_`, `N_`) and every
`--help` text of the command line, into `locales/messages.pot`; then each language's `.po` is
updated (new msgids empty, removed ones dropped, changed ones fuzzy). Run by
`scripts/i18n.sh` and by the catalog test (which fails while a msgid has no French)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from calendarspots_mailchimp.entrypoints.i18n import LANGUAGES, LOCALES, po_path

KEYWORDS = {"_": None, "N_": None, "n_": (1, 2)}
ROOT = Path(__file__).parent


def extract() -> Catalog:
    """The template: every msgid the code and the `--help` texts use, with where they are."""
    catalog = Catalog(project="calendarspots-mailchimp", fuzzy=False)
    found = extract_from_dir(
        str(ROOT), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("I18N:",)
    )
    for filename, lineno, message, comments, _context in found:
        where = f"entrypoints/{filename}".replace("\\", "/")
        catalog.add(message, None, [(where, lineno)], auto_comments=comments)
    from calendarspots_mailchimp.entrypoints.cli.main import help_texts

    for text in help_texts():
        catalog.add(text, None, [("cs-mailchimp --help", 0)])
    return catalog


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def main() -> None:
    template = extract()
    with (LOCALES / "messages.pot").open("wb") as pot:
        write_po(pot, template, width=100, omit_header=True, sort_output=True)
    for lang in LANGUAGES:
        if lang == "en" or not po_path(lang).exists():
            continue  # English: the msgids are the words
        catalog = read(lang)
        created = catalog.creation_date  # kept: a run that changes no msgid changes no line
        catalog.update(template, no_fuzzy_matching=False)
        catalog.creation_date = created
        with po_path(lang).open("wb") as po:
            write_po(po, catalog, width=100, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        print(f"{lang}: {len(catalog)} messages, {len(missing)} to translate", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    main()

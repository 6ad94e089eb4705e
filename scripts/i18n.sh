#!/usr/bin/env bash
# Extracts every msgid (Babel) into entrypoints/locales/messages.pot and updates each language's
# entrypoints/locales/<lang>/LC_MESSAGES/messages.po. Then write the missing French (empty or
# `#, fuzzy` entries): tests/unit/entrypoints/test_catalog.py fails until every msgid has it.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m calendarspots_mailchimp.entrypoints.i18n_extract

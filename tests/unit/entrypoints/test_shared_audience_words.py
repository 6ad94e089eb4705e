"""R1, an audience another business uses (core/services/sharing.py), in words: the operator
reads which tenant keeps it and the commands; the owner reads which audience and what to click,
never who the other business is, in French and in English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calendarspots_mailchimp.core.activity import ActivityEntry, ActivityKind
from calendarspots_mailchimp.core.errors import coded
from calendarspots_mailchimp.core.model import ConnectionState, Tenant
from calendarspots_mailchimp.core.services.connect import Connected, ConnectResult
from calendarspots_mailchimp.core.services.fleet import Attention, Problem, state_problem
from calendarspots_mailchimp.core.services.newsletters import PageView
from calendarspots_mailchimp.entrypoints.http.owner_html import newsletters_page
from calendarspots_mailchimp.entrypoints.messages import (
    attention_fix,
    attention_why,
    connect_message,
    owner_fix,
    reason_words,
    render,
)

FACTS = {"list": "calendarspots", "id": "abc123", "other": "salon-rival"}
REASON = coded("audience.shared", FACTS)
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BARBIER = Tenant(
    "barbier",
    "Barbier Belle",
    "America/Montreal",
    account_name="Compte partagé",
    audience_id="",
).with_state(ConnectionState.NEEDS_ATTENTION, REASON)

# What the owner reads, by language: which audience, then what to click.
OWNER = {
    "fr": (
        "une autre entreprise utilise déjà la liste mailchimp « calendarspots » de ce compte "
        "mailchimp",
        "cliquez sur Déconnecter, puis sur Autoriser avec votre propre compte MailChimp",
    ),
    "en": (
        "another business already uses the mailchimp audience “calendarspots” of this mailchimp "
        "account",
        "click Disconnect, then Authorize with a MailChimp account of your own",
    ),
}


def said_to_owner(text: str, lang: str) -> None:
    which, fix = OWNER[lang]
    flat = text.replace("\u00a0", " ").replace("&#x27;", "'")
    assert which in flat.lower() and fix in flat, flat
    assert "salon-rival" not in flat and "abc123" not in flat and "cs-mailchimp" not in flat


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_owner_reads_what_to_do_and_never_who_the_other_business_is(lang: str) -> None:
    back = ConnectResult(False, Connected.CHECK_FAILED, "barbier", REASON, "calendarspots")
    said_to_owner(connect_message(back, lang), lang)

    view = PageView(BARBIER, 0, None, None, [{"code": "audience_shared", "detail": REASON}])
    page = newsletters_page(view, lang, "csrf")
    said_to_owner(page, lang)

    checked = {"problems": ["shared-audience"], "error": "…", "code": "audience.shared"}
    checked["facts"] = FACTS
    synced = {"failure": "contract", "error": REASON, "list_name": "calendarspots"}
    for kind, details in ((ActivityKind.CHECK_FAILED, checked), (ActivityKind.SYNC_FAILED, synced)):
        said_to_owner(
            render(ActivityEntry("barbier", AT, kind, "", details), lang, owner=True), lang
        )
        operator = render(ActivityEntry("barbier", AT, kind, "", details), lang)
        assert "salon-rival" in operator, operator

    told = owner_fix("audience_shared", lang, "calendarspots")
    said_to_owner(told, lang)
    assert told[0].isupper()


def test_the_operator_reads_who_keeps_the_audience_and_both_fixes() -> None:
    problem = state_problem(BARBIER)
    assert problem == Problem(
        "barbier",
        Attention.AUDIENCE_SHARED,
        REASON,
        {"list": "calendarspots", "other": "salon-rival"},
    )
    fixes = ("`cs-mailchimp connect barbier`", "`cs-mailchimp disconnect salon-rival`")
    why, fix = attention_why(problem), attention_fix(problem)
    assert why.startswith("The MailChimp audience 'calendarspots' (id abc123) is already used")
    assert "tenant 'salon-rival'" in why and why[1:] == reason_words(REASON)[1:]
    assert all(command in fix for command in fixes), fix
    why, fix = attention_why(problem, "fr"), attention_fix(problem, "fr")
    assert "est déjà utilisée par l'entreprise « salon-rival »" in why.replace("\u00a0", " ")
    assert fix.startswith("Faites autoriser") and all(command in fix for command in fixes), fix

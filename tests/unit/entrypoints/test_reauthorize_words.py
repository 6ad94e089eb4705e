"""A revoked authorization's fix: one per audience, the same in English and French. The
operator (CLI, status, JSON) is told to run `cs-mailchimp connect TENANT` and send the owner
the link; the owner (their pages, the host's notice) is told to click Reconnect. Nobody is sent
to a host menu (Settings → Advanced → Newsletters) that one language names and the other not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calendarspots_mailchimp.core.activity import ActivityEntry, ActivityKind
from calendarspots_mailchimp.core.errors import NotConnected
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.core.services.fleet import Attention, Problem
from calendarspots_mailchimp.core.services.sync.report import Failure, failed_report
from calendarspots_mailchimp.entrypoints.errors import one_line
from calendarspots_mailchimp.entrypoints.messages import (
    attention_fix,
    attention_why,
    owner_fix,
    render,
    report_message,
)

AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
COMMAND = "`cs-mailchimp connect salon`"
HOST_MENU = ("Settings", "Advanced", "Paramètres", "Avancé")
BUTTON = {"en": "Reconnect", "fr": "Reconnecter"}


def operator_texts(lang: str) -> dict[str, str]:
    revoked = ActivityEntry("salon", AT, ActivityKind.AUTHORIZATION_REVOKED, "", {})
    refused = ActivityEntry(
        "salon", AT, ActivityKind.WEBHOOK_REFUSED, "", {"type": "unsubscribe", "list_id": "L9"}
    )
    problem = Problem("salon", Attention.REAUTHORIZE, "revoked")
    needs = NotConnected(
        "tenant 'salon' needs re-authorization",
        code="needs_reauthorization",
        facts={"tenant": "salon"},
    )
    failed = failed_report("salon", SyncKind.MANUAL, "", False, 1, Failure.REVOKED)
    return {
        "activity": render(revoked, lang),
        "webhook refused": render(refused, lang),
        "status fix": attention_fix(problem, lang),
        "error line": one_line(needs, lang),
        "sync report": report_message(failed, lang),
    }


def owner_texts(lang: str) -> dict[str, str]:
    revoked = ActivityEntry("salon", AT, ActivityKind.AUTHORIZATION_REVOKED, "", {})
    failed = ActivityEntry(
        "salon", AT, ActivityKind.SYNC_FAILED, "", {"failure": "revoked", "error": ""}
    )
    return {
        "activity": render(revoked, lang, owner=True),
        "failed sync": render(failed, lang, owner=True),
        "host notice": owner_fix("reauthorize", lang, "calendarspots"),
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_operator_is_told_to_send_a_new_link_in_both_languages(lang: str) -> None:
    for where, text in operator_texts(lang).items():
        assert COMMAND in text, (lang, where, text)
        assert not any(word in text for word in HOST_MENU), (lang, where, text)
        assert BUTTON[lang] not in text, (lang, where, text)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_owner_is_told_to_click_reconnect_in_both_languages(lang: str) -> None:
    for where, text in owner_texts(lang).items():
        assert BUTTON[lang] in text, (lang, where, text)
        assert "cs-mailchimp" not in text, (lang, where, text)
        assert not any(word in text for word in HOST_MENU), (lang, where, text)


def test_the_operator_s_fix_says_the_same_in_english_and_french() -> None:
    problem = Problem("salon", Attention.REAUTHORIZE, "revoked")
    assert attention_fix(problem, "en") == (
        "The owner must authorize again: run `cs-mailchimp connect salon` and send them the "
        "link it prints."
    )
    assert attention_fix(problem, "fr") == (
        "Le propriétaire doit autoriser de nouveau : lancez `cs-mailchimp connect salon` et "
        "envoyez-lui le lien affiché."
    )
    assert attention_why(problem, "fr").startswith("MailChimp a refusé l'autorisation")

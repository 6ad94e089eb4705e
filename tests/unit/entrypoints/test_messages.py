"""Words for activity entries: every kind has an English sentence made from its details, the
French ones where the owner's page needs them, and old entries keep their stored sentence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from calendarspots_mailchimp.core.activity import ActivityEntry, ActivityKind
from calendarspots_mailchimp.core.model import SyncKind
from calendarspots_mailchimp.entrypoints.messages import TEMPLATES, render

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COUNTS = {"created": 3, "updated": 1, "unchanged": 5, "skipped": 0, "failed": 0}
COUNTS |= {"unsubscribed": 1, "cleaned": 0}

# Details as the core records them, one example per kind.
EXAMPLES: dict[ActivityKind, dict[str, Any]] = {
    ActivityKind.AUTHORIZATION_GRANTED: {"account": "Salon Belle", "dc": "us1"},
    ActivityKind.AUTHORIZATION_REVOKED: {},
    ActivityKind.AUTHORIZATION_DISCONNECTED: {"webhooks_removed": 1, "error": ""},
    ActivityKind.AUTHORIZATION_FAILED: {"reason": "denied", "error": "access_denied"},
    ActivityKind.CHECK_PASSED: {"audience_id": "L1", "list_name": "calendarspots"},
    ActivityKind.CHECK_FAILED: {
        "error": "the audience lacks BIRTHDAY",
        "problems": [],
        "code": "audience.fields",
        "facts": {
            "list": "calendarspots",
            "tenant": "salon",
            "fields": [
                {"tag": "BIRTHDAY", "problem": "missing", "name": "Birthday", "type": "birthday"}
            ],
        },
    },
    ActivityKind.CHECK_FIXED: {"fields": ["BIRTHDAY"]},
    ActivityKind.WEBHOOK_INSTALLED: {"webhook_id": "w1"},
    ActivityKind.WEBHOOK_REPAIRED: {
        "what": ["sources changed"],
        "webhook_id": "w1",
        "moved": False,
    },
    ActivityKind.WEBHOOK_REFUSED: {"type": "unsubscribe", "list_id": "L9", "audience_id": "L1"},
    ActivityKind.WEBHOOK_FAILED: {"error": "URL not reachable", "public_url": "https://x.example"},
    ActivityKind.SYNC_SUCCEEDED: {"run": "nightly", "counts": COUNTS, "webhook_problem": False},
    ActivityKind.SYNC_PARTIAL: {"run": "nightly", "counts": COUNTS, "webhook_problem": True},
    ActivityKind.SYNC_FAILED: {"error": "HTTP 503", "failure": "mailchimp", "run": "manual"},
    ActivityKind.SYNC_HELD: {
        "tenant": "salon",
        "members": 100,
        "updates": 21,
        "archives": 0,
        "update_percent": 21.0,
        "archive_percent": 0.0,
        "update_limit": 20.0,
        "archive_limit": 5.0,
    },
    ActivityKind.CONTACT_UNSUBSCRIBED: {
        "email": "a@x.example",
        "client_id": "c1",
        "source": "sync",
    },
    ActivityKind.CONTACT_CLEANED: {"email": "a@x.example", "client_id": None, "reason": "hard"},
    ActivityKind.CONTACT_REJECTED: {"email": "r@x.example"},
    ActivityKind.SYNC_REQUESTED: {"queued": True},
    ActivityKind.CONTACT_REMOVED: {"count": 2, "archive": True, "archived": 1},
    ActivityKind.CONTACT_EMAIL_CHANGED: {"old_email": "a@x.example", "new_email": "b@x.example"},
    ActivityKind.MAILCHIMP_SUBSCRIBE_RECORDED: {"email": "n@x.example", "merges": {"FNAME": "Né"}},
    ActivityKind.MAILCHIMP_PROFILE_RECORDED: {"email": "a@x.example", "merges": {}},
    ActivityKind.MAILCHIMP_UPEMAIL_RECORDED: {
        "old_email": "a@x.example",
        "new_email": "b@x.example",
    },
    ActivityKind.MAILCHIMP_CAMPAIGN_RECORDED: {"campaign": {"subject": "Promo", "status": "sent"}},
}


def entry(kind: ActivityKind, details: dict[str, Any], message: str = "") -> ActivityEntry:
    return ActivityEntry("salon", AT, kind, message, details)


def test_every_kind_the_core_records_has_an_english_sentence() -> None:
    recorded = set(ActivityKind) - {ActivityKind.CONTACT_REJECTED}  # no longer written
    assert recorded <= set(TEMPLATES)
    for kind in recorded:
        text = render(entry(kind, EXAMPLES[kind]))
        assert text and "{" not in text, (kind, text)  # "" would be a template that failed


WORDED = set(ActivityKind) - {ActivityKind.CONTACT_REJECTED}  # no longer written


@pytest.mark.parametrize("kind", sorted(WORDED))
def test_french_sentences_are_french(kind: str) -> None:
    text = render(entry(ActivityKind(kind), EXAMPLES[ActivityKind(kind)]), "fr")
    assert text != render(entry(ActivityKind(kind), EXAMPLES[ActivityKind(kind)]), "en")


def test_details_make_the_sentence() -> None:
    synced = render(entry(ActivityKind.SYNC_PARTIAL, EXAMPLES[ActivityKind.SYNC_PARTIAL]))
    assert synced.startswith("Sync finished: 3 added, 1 updated, 5 unchanged")
    assert "1 unsubscribed and 0 cleaned in MailChimp" in synced
    assert "webhook is not installed" in synced
    denied = render(
        entry(ActivityKind.AUTHORIZATION_FAILED, EXAMPLES[ActivityKind.AUTHORIZATION_FAILED])
    )
    assert "not granted (access_denied)" in denied
    french = render(entry(ActivityKind.SYNC_PARTIAL, EXAMPLES[ActivityKind.SYNC_PARTIAL]), "fr")
    assert french.startswith("Synchronisation terminée : 3\u00a0ajoutés, 1\u00a0mis à jour")
    assert "reçus de MailChimp : 1\u00a0désabonnement et 0\u00a0adresse invalide" in french
    removed = {"count": 1, "archive": True, "archived": 1}
    assert render(entry(ActivityKind.CONTACT_REMOVED, removed), "fr") == (
        "1 client retiré de la plateforme n'est plus synchronisé ; 1 archivé dans MailChimp."
    )


def test_an_entry_from_before_keeps_its_stored_sentence() -> None:
    old = entry(ActivityKind.SYNC_SUCCEEDED, {"api_calls": 3}, "Sync finished: 1 added")
    assert render(old) == render(old, "fr") == "Sync finished: 1 added"


def test_a_client_s_reason_is_a_code_worded_here() -> None:
    from calendarspots_mailchimp.entrypoints.messages import reason_text

    assert reason_text("invalid_email") == "invalid email address"
    assert reason_text("opted_out:cleaned") == "cleaned in MailChimp: never re-subscribed"
    assert reason_text("refused:Bad wording") == "MailChimp refused this contact: Bad wording"
    earlier = reason_text("refused_before:fake_or_invalid")
    assert earlier.startswith("refused by MailChimp at an earlier sync (MailChimp refused the")
    # A ledger written before reasons were codes keeps its sentence.
    assert reason_text("MailChimp refused the birthday: it must be month/day") == (
        "MailChimp refused the birthday: it must be month/day"
    )
    legacy = reason_text("refused_before:MailChimp refused the birthday: it must be month/day")
    assert "(MailChimp refused the birthday: it must be month/day)" in legacy


def test_a_sync_report_is_worded_here() -> None:
    from calendarspots_mailchimp.core.model import SyncCounts, SyncStatus
    from calendarspots_mailchimp.core.services.sync.report import (
        ClientProblem,
        Failure,
        Reason,
        SyncReport,
        failed_report,
    )
    from calendarspots_mailchimp.entrypoints.messages import report_json, report_message

    counts = SyncCounts(created=2, skipped=1)
    done = SyncReport(
        "salon",
        SyncKind.MANUAL,
        SyncStatus.SUCCEEDED,
        counts,
        problems=[ClientProblem("c9", "x@example.com", Reason.SAME_EMAIL)],
    )
    assert report_message(done).startswith(
        "Sync finished: 2 added, 0 updated, 0 unchanged, 1 skipped"
    )
    assert report_json(done)["problems"] == [
        {
            "client_id": "c9",
            "email": "x@example.com",
            "reason": "another client has the same email address",
            "code": "same_email",
        }
    ]
    down = failed_report("salon", SyncKind.NIGHTLY, "HTTP 503", False, 3, Failure.MAILCHIMP)
    assert report_message(down) == (
        "MailChimp did not answer well (HTTP 503); the nightly sync tries again later tonight"
    )
    assert report_json(down)["failure"] == "mailchimp"


def test_an_error_is_a_code_worded_in_the_reader_s_language() -> None:
    from calendarspots_mailchimp.core.errors import NotFound, coded
    from calendarspots_mailchimp.entrypoints.errors import one_line
    from calendarspots_mailchimp.entrypoints.messages import reason_words

    missing = NotFound("no tenant 'x'", code="no_tenant", facts={"tenant": "x"})
    assert one_line(missing) == "no tenant 'x'"
    assert one_line(missing, "fr") == "aucune entreprise « x »"
    stored = coded("audience.renamed", {"list": "calendarspots", "id": "L1", "name": "Old"})
    assert reason_words(stored).startswith("the MailChimp audience 'calendarspots' (id L1) was")
    assert reason_words(stored, "fr").startswith("la liste MailChimp « calendarspots » (id L1)")
    assert reason_words("a sentence stored before") == "a sentence stored before"


def test_every_kind_the_owner_sees_has_french_words_and_a_label() -> None:
    from calendarspots_mailchimp.core.services.owner_activity import OPERATOR_ONLY
    from calendarspots_mailchimp.entrypoints.http.pages import KINDS

    for kind in set(ActivityKind) - OPERATOR_ONLY:
        french = render(entry(kind, EXAMPLES[kind]), "fr")
        assert french != render(entry(kind, EXAMPLES[kind]), "en"), kind
        assert str(kind) in KINDS, kind


def test_the_owner_reads_no_command_in_english_either() -> None:
    for kind in (ActivityKind.SYNC_HELD, ActivityKind.AUTHORIZATION_REVOKED):
        operator = render(entry(kind, EXAMPLES[kind]))
        owner = render(entry(kind, EXAMPLES[kind]), owner=True)
        assert "cs-mailchimp" not in owner and "Settings → Advanced" not in owner
        assert owner != operator
    held = render(entry(ActivityKind.SYNC_HELD, EXAMPLES[ActivityKind.SYNC_HELD]), "fr")
    assert "(21\u00a0%, plus de 20\u00a0%)" in held, held

"""Words for activity entries: every kind has an English sentence made from its details, the
French ones where the owner's page needs them, and old entries keep their stored sentence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from calendarspots_mailchimp.core.activity import ActivityEntry, ActivityKind
from calendarspots_mailchimp.entrypoints.messages import ENGLISH, FRENCH, render

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
    ActivityKind.CHECK_FAILED: {"error": "the audience lacks BIRTHDAY", "problems": []},
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
    ActivityKind.SYNC_FAILED: {"error": "MailChimp did not answer", "run": "manual"},
    ActivityKind.CONTACT_UNSUBSCRIBED: {
        "email": "a@x.example",
        "client_id": "c1",
        "source": "sync",
    },
    ActivityKind.CONTACT_CLEANED: {"email": "a@x.example", "client_id": None, "reason": "hard"},
    ActivityKind.CONTACT_REJECTED: {},
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
    assert recorded <= set(ENGLISH)
    for kind in recorded:
        text = render(entry(kind, EXAMPLES[kind]))
        assert text and "{" not in text, (kind, text)  # "" would be a template that failed


@pytest.mark.parametrize("kind", sorted(FRENCH))
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


def test_an_entry_from_before_keeps_its_stored_sentence() -> None:
    old = entry(ActivityKind.SYNC_SUCCEEDED, {"api_calls": 3}, "Sync finished: 1 added")
    assert render(old) == render(old, "fr") == "Sync finished: 1 added"

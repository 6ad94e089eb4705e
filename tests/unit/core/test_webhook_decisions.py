"""The webhook event table, pure: what each event changes and records (R7, R8)."""

from __future__ import annotations

from calendarspots_mailchimp.core.model import ActivityKind, Client, LedgerEntry, MemberStatus
from calendarspots_mailchimp.core.services.webhooks.decide import DECIDERS, Outcome, decide
from calendarspots_mailchimp.core.services.webhooks.events import (
    EVENT_TYPES,
    WebhookEvent,
    parse_event,
)

ANN = Client("c1", "ann@example.com", "Ann", "Lee")
KNOWN = LedgerEntry("c1", "ann@example.com", "hash", MemberStatus.UNSUBSCRIBED)


def event(kind: str, **data: str) -> WebhookEvent:
    form = {"type": kind, "fired_at": "2026-11-20 10:00:00", "data[list_id]": "L1"}
    form.update({f"data[{k}]": v for k, v in data.items()})
    return parse_event(form)


def test_every_event_type_mailchimp_sends_has_a_decision() -> None:
    assert set(DECIDERS) == set(EVENT_TYPES)


def test_an_unsubscribe_of_a_client_is_applied_and_remembered() -> None:
    decision = decide(event("unsubscribe", email="ann@example.com", reason="abuse"), ANN, None)
    assert decision.kind == ActivityKind.CONTACT_UNSUBSCRIBED
    assert decision.outcome == Outcome.APPLIED
    assert decision.ledger == ("ann@example.com", MemberStatus.UNSUBSCRIBED)
    assert decision.details["client_id"] == "c1" and decision.details["client_name"] == "Ann Lee"
    assert decision.details["reason"] == "abuse" and decision.details["source"] == "webhook"


def test_an_opt_out_of_an_address_that_is_no_client_is_only_told() -> None:
    decision = decide(event("cleaned", email="x@example.com", reason="hard"), None, None)
    assert decision.outcome == Outcome.NO_CLIENT and decision.details["reason"] == "hard"
    assert decision.details["client_id"] is None
    assert decision.ledger == ("x@example.com", MemberStatus.CLEANED)


def test_subscribe_profile_and_upemail_are_recorded_never_copied() -> None:
    new = decide(event("subscribe", email="new@example.com"), None, None)
    again = decide(event("subscribe", email="ann@example.com"), None, KNOWN)
    profile = decide(event("profile", email="ann@example.com"), None, KNOWN)
    moved = decide(
        event("upemail", old_email="ann@example.com", new_email="ann@new.example"),
        None,
        KNOWN,
    )
    assert {d.outcome for d in (new, again, profile, moved)} == {Outcome.RECORDED}
    assert new.ledger is None and new.details["client_id"] is None
    assert again.details["client_id"] == "c1"
    # A client who subscribed again through a MailChimp form: MailChimp's status is followed.
    assert again.ledger == ("ann@example.com", MemberStatus.SUBSCRIBED)
    assert profile.ledger is None
    # The member now lives at the new address: the old one must not be added back.
    assert moved.ledger == ("ann@example.com", MemberStatus.ARCHIVED)

"""The per-client decision of a sync, pure: what is sent, what never is (R10)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from calendarspots_mailchimp.core.model import (
    Birthday,
    Client,
    LedgerEntry,
    MemberStatus,
    NewsletterStatus,
)
from calendarspots_mailchimp.core.services.sync.report import Reason
from calendarspots_mailchimp.core.services.sync.verdict import Facts, decide

ANN = Client("c1", "Ann@Example.com", "Ann", "Lee", Birthday(2, 29))
PUSHED = LedgerEntry("c1", "ann@example.com", ANN.content_hash(), MemberStatus.SUBSCRIBED)


def facts(**changes: object) -> Facts:
    base = Facts(ANN, None, None, False, False, False, MemberStatus.SUBSCRIBED)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_new_client_is_sent_as_a_new_contact_without_empty_values() -> None:
    verdict = decide(facts(client=replace(ANN, last_name="")))
    assert verdict.send is not None and not verdict.existing
    assert verdict.send.status == MemberStatus.SUBSCRIBED
    assert verdict.send.merge_fields == {"FNAME": "Ann", "BIRTHDAY": "02/29"}


def test_double_opt_in_makes_new_contacts_pending() -> None:
    verdict = decide(facts(new_status=MemberStatus.PENDING))
    assert verdict.send is not None and verdict.send.status == MemberStatus.PENDING


def test_an_unchanged_client_costs_nothing_unless_the_sync_is_full() -> None:
    assert decide(facts(entry=PUSHED, known=MemberStatus.SUBSCRIBED)).unchanged
    full = decide(facts(entry=PUSHED, known=MemberStatus.SUBSCRIBED, full=True))
    assert full.send is not None and full.existing


@pytest.mark.parametrize("status", [MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED])
def test_an_opted_out_member_is_never_sent_again(status: MemberStatus) -> None:
    for entry in (None, PUSHED, replace(PUSHED, content_hash="old")):
        for full in (False, True):
            verdict = decide(facts(entry=entry, known=status, full=full))
            assert verdict.send is None, (entry, full)
    assert decide(facts(known=status)).skip == Reason.OPTED_OUT
    assert decide(facts(known=status)).detail == status.value


def test_an_active_member_keeps_its_own_status() -> None:
    changed = replace(PUSHED, content_hash="old")
    verdict = decide(facts(entry=changed, known=MemberStatus.PENDING))
    assert verdict.send is not None and verdict.send.status == MemberStatus.PENDING
    assert verdict.existing


def test_a_client_unsubscribed_only_in_the_platform_is_not_added() -> None:
    out = replace(ANN, newsletter=NewsletterStatus.UNSUBSCRIBED)
    assert decide(facts(client=out)).skip == Reason.NOT_SUBSCRIBED_HERE
    assert decide(facts(client=out)).detail == "unsubscribed"
    # Active in MailChimp (subscribed again through a form): MailChimp holds the consent.
    kept = decide(
        facts(client=out, entry=replace(PUSHED, content_hash="old"), known=MemberStatus.SUBSCRIBED)
    )
    assert kept.send is not None and kept.send.status == MemberStatus.SUBSCRIBED


def test_a_member_that_left_the_audience_is_not_added_back() -> None:
    assert decide(facts(entry=PUSHED, left_audience=True)).unchanged
    moved = decide(facts(entry=replace(PUSHED, content_hash="old"), left_audience=True))
    assert moved.skip == Reason.LEFT_AUDIENCE


def test_a_refused_contact_is_reported_not_resent_until_it_changes() -> None:
    refused = replace(PUSHED, member_status=None, last_error="fake_or_invalid")
    verdict = decide(facts(entry=refused, refused_before=True))
    assert verdict.send is None and verdict.skip == Reason.REFUSED_BEFORE
    assert verdict.detail == "fake_or_invalid"

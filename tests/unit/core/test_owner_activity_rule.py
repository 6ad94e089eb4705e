"""The owner's activity view hides operator noise (core/services/owner_activity.py's rule), and
clients' names come from one batched lookup, or one scan of a host directory without it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fakes import FakeClientDirectory

from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind, Client
from calendarspots_mailchimp.core.services.client_names import client_names
from calendarspots_mailchimp.core.services.owner_activity import for_owner

K = ActivityKind
AT = datetime(2026, 12, 6, tzinfo=UTC)


def entry(kind: ActivityKind, **details: Any) -> ActivityEntry:
    return ActivityEntry("salon", AT, kind, "", details)


def test_operator_noise_is_hidden_and_the_rest_kept_in_order() -> None:
    log = [
        entry(K.CHECK_PASSED),
        entry(K.WEBHOOK_REFUSED, type="subscribe", list_id="L9"),
        entry(K.CONTACT_UNSUBSCRIBED, email="a@x.example"),
        entry(K.WEBHOOK_REFUSED, type="subscribe", list_id="L9"),  # the same refusal, older
        entry(K.WEBHOOK_REFUSED, type="profile", list_id="L9"),  # another event type: shown
        entry(K.MAILCHIMP_CAMPAIGN_RECORDED, campaign={}),
        entry(K.WEBHOOK_FAILED, error="x"),
        entry(K.CONTACT_REJECTED, email="Z@x.example"),
        entry(K.CONTACT_REJECTED, email="z@x.example"),  # the same client again
        entry(K.CHECK_FAILED, error="fields"),
    ]
    kept = [(str(e.kind), e.details.get("type", "")) for e in for_owner(log)]
    assert kept == [
        ("webhook.refused", "subscribe"),
        ("contact.unsubscribed", ""),
        ("webhook.refused", "profile"),
        ("contact.rejected", ""),
        ("check.failed", ""),
    ]


def test_a_sync_entry_keeps_its_clients_but_not_one_refused_again_as_before() -> None:
    problems = [
        {"client_id": "1", "email": "a@x.example", "reason": "invalid_email"},
        {"client_id": "2", "email": "b@x.example", "reason": "refused_before:forgotten"},
    ]
    sync = entry(K.SYNC_PARTIAL, counts={}, problems=problems)
    (shown,) = for_owner([sync])
    assert shown.details["problems"] == problems[:1]
    assert sync.details["problems"] == problems  # the stored entry is untouched


class HostDirectoryWithoutFindMany:
    """A host's directory written before `find_many` existed."""

    def __init__(self) -> None:
        self.scans = 0

    def clients(self, tenant_id: str, changed_since: Any = None) -> Iterator[Client]:
        self.scans += 1
        yield Client("1", "a@x.example", "Ann", "Lee")
        yield Client("2", "b@x.example", "", "")


def test_names_come_from_one_batch_or_one_scan() -> None:
    fake = FakeClientDirectory()
    fake.upsert("salon", [Client("1", "a@x.example", "Ann", "Lee"), Client("2", "b@x.example")])
    assert client_names(fake, "salon", ["1", "2", "3", ""]) == {"1": "Ann Lee"}
    host = HostDirectoryWithoutFindMany()
    assert client_names(host, "salon", ["1", "2"]) == {"1": "Ann Lee"}  # type: ignore[arg-type]
    assert host.scans == 1
    assert client_names(host, "salon", []) == {} and host.scans == 1

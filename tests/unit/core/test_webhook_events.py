from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.services.webhooks.events import idempotency_key, parse_event

UNSUBSCRIBE = {
    "type": "unsubscribe",
    "fired_at": "2009-03-26 21:40:57",
    "data[action]": "unsub",
    "data[reason]": "manual",
    "data[id]": "8a25ff1d98",
    "data[list_id]": "a6b5da1054",
    "data[email]": "api+unsub@mailchimp.com",
    "data[merges][EMAIL]": "api+unsub@mailchimp.com",
    "data[merges][FNAME]": "Mailchimp",
    "data[merges][LNAME]": "API",
}


def test_mailchimp_sample_parses() -> None:
    event = parse_event(UNSUBSCRIBE)
    assert (event.type, event.list_id, event.email) == (
        "unsubscribe",
        "a6b5da1054",
        "api+unsub@mailchimp.com",
    )
    assert event.merges["FNAME"] == "Mailchimp" and event.data["reason"] == "manual"


def test_upemail_needs_both_addresses() -> None:
    ok = {
        "type": "upemail",
        "data[list_id]": "l1",
        "data[old_email]": "a@x.io",
        "data[new_email]": "b@x.io",
    }
    assert parse_event(ok).data["new_email"] == "b@x.io"
    with pytest.raises(InvalidInput):
        parse_event({**ok, "data[new_email]": ""})


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"type": "explode", "data[list_id]": "l"},
        {**UNSUBSCRIBE, "data[list_id]": ""},
        {**UNSUBSCRIBE, "data[email]": "nobody"},
        {**UNSUBSCRIBE, "data[merges][FNAME]": "x" * 5000},
    ],
)
def test_malformed_events_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        parse_event(bad)


def test_idempotency_key_is_stable_and_distinguishes_events() -> None:
    assert idempotency_key(UNSUBSCRIBE) == idempotency_key(
        dict(reversed(list(UNSUBSCRIBE.items())))
    )
    assert idempotency_key(UNSUBSCRIBE) != idempotency_key(
        {**UNSUBSCRIBE, "fired_at": "2009-03-26 21:40:58"}
    )

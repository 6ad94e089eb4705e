"""entrypoints/http/guard.py: route parameters checked before any route runs."""

from __future__ import annotations

import pytest

from calendarspots_mailchimp.entrypoints.http.guard import refusal


def status(path: str, query: bytes = b"") -> int | None:
    answer = refusal({"type": "http", "path": path, "query_string": query})
    return None if answer is None else answer.status_code


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/tenants/salon/activity", b"kind=sync.failed", None),
        ("/tenants/sa\x00lon/activity", b"", 404),
        ("/tenants/" + "a" * 65 + "/activity", b"", 404),
        ("/tenants/salon/activity", b"kind=sync%00", 400),
        ("/tenants/salon/activity", b"kind=" + b"k" * 1001, 400),
        ("/tenants/salon/newsletters", b"owner_token=%0d%0aSet-Cookie:x", 400),
        ("/webhooks/mailchimp/sa%lon/secret", b"", 404),
        ("/webhooks/mailchimp/salon/sec\x00ret", b"", 404),
        ("/oauth/mailchimp/start", b"tenant=%00", 400),
        ("/oauth/mailchimp/start", b"tenant=" + b"a" * 65, 404),
        ("/oauth/mailchimp/start", b"tenant=salon", None),
        ("/health", b"", None),
    ],
)
def test_refusals(path: str, query: bytes, expected: int | None) -> None:
    assert status(path, query) == expected

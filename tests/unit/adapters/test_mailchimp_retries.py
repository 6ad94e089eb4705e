from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp.requester import (
    THROTTLE_BASE,
    Requester,
)
from calendarspots_mailchimp.ports.mailchimp import (
    MailChimpError,
    MailChimpUnavailable,
    RateLimited,
    TokenRevoked,
    WebhookSpec,
)

LISTS = {
    "lists": [{"id": "l1", "name": "calendarspots", "stats": {"member_count": 3}}],
    "total_items": 1,
}


def scripted(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue: Iterator[httpx.Response | Exception] = iter(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        step = next(queue)
        if isinstance(step, Exception):
            raise step
        return step

    return handle


def test_retry_after_is_honoured_on_429_then_success(wire: Any, problem: Any) -> None:
    w = wire(
        scripted(
            httpx.Response(429, headers={"Retry-After": "3"}),
            problem(
                429,
                "Too Many Requests",
                "limit",
            ),
            httpx.Response(200, json=LISTS),
        )
    )
    acct = w.connector().account("https://us1.api.example.test", "tok")
    assert [a.audience_id for a in acct.audiences()] == ["l1"]
    assert w.waits[0] == 3.0
    # No header: the throttle's own backoff, second step, half of it certain.
    assert THROTTLE_BASE <= w.waits[1] <= THROTTLE_BASE * 2
    assert acct.api_calls == 3


def test_5xx_and_timeouts_are_retried_then_succeed(wire: Any, problem: Any) -> None:
    w = wire(
        scripted(
            problem(500, "Internal Server Error"),
            httpx.ReadTimeout("timed out"),
            httpx.Response(503, headers={"Retry-After": "1"}),
            httpx.Response(200, json=LISTS),
        )
    )
    acct = w.connector().account("https://us1.api.example.test", "tok")
    assert len(acct.audiences()) == 1
    assert len(w.waits) == 3
    assert w.waits[2] == 1.0
    assert acct.api_calls == 4


def test_giving_up_on_5xx_raises_unavailable(wire: Any, problem: Any) -> None:
    w = wire(lambda r: problem(502, "Bad Gateway"))
    acct = w.connector(max_retries=4).account("https://us1.api.example.test", "tok")
    with pytest.raises(MailChimpUnavailable) as info:
        acct.audiences()
    assert info.value.status == 502
    assert acct.api_calls == 5
    assert len(w.waits) == 4


def test_giving_up_on_429_raises_rate_limited_even_without_a_json_body(
    wire: Any, problem: Any
) -> None:
    w = wire(lambda r: httpx.Response(429, text="slow down", headers={"Retry-After": "4"}))
    acct = w.connector(max_retries=0, throttle_budget=10).account(
        "https://us1.api.example.test", "tok"
    )
    with pytest.raises(RateLimited) as info:
        acct.audiences()
    assert acct.api_calls == 3  # waited 4 + 4 s; a third wait would pass the 10 s budget
    assert w.waits == [4.0, 4.0]
    assert "after 8 s of waiting" in info.value.detail


def test_five_429s_then_two_503s_on_one_request_are_survived(wire: Any, problem: Any) -> None:
    """Throttling is waited out apart from the 5xx retries: neither budget eats the other."""
    w = wire(
        scripted(
            *[httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(5)],
            problem(503, "Service Unavailable"),
            problem(503, "Service Unavailable"),
            httpx.Response(200, json=LISTS),
        )
    )
    acct = w.connector(max_retries=2).account("https://us1.api.example.test", "tok")
    assert [a.audience_id for a in acct.audiences()] == ["l1"]
    assert acct.api_calls == 8
    assert w.waits[:5] == [1.0] * 5


def test_a_throttle_without_retry_after_grows_and_never_spins(wire: Any) -> None:
    w = wire(lambda r: httpx.Response(429, headers={"Retry-After": "0"}))
    acct = w.connector(throttle_budget=1).account("https://us1.api.example.test", "tok")
    with pytest.raises(RateLimited):
        acct.audiences()
    assert w.waits and min(w.waits) >= 0.1  # "Retry-After: 0" still waits a little
    assert acct.api_calls == len(w.waits) + 1 <= 11


def test_network_errors_give_up_as_unavailable(wire: Any, problem: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    w = wire(refuse)
    acct = w.connector(max_retries=1).account("https://us1.api.example.test", "tok")
    with pytest.raises(MailChimpUnavailable) as info:
        acct.audiences()
    assert info.value.status == 0
    assert acct.api_calls == 2


@pytest.mark.parametrize("status", [400, 403, 404, 405, 422])
def test_other_4xx_are_never_retried(wire: Any, problem: Any, status: int) -> None:
    w = wire(lambda r: problem(status, "Nope"))
    acct = w.connector().account("https://us1.api.example.test", "tok")
    with pytest.raises(MailChimpError) as info:
        acct.audiences()
    assert info.value.status == status
    assert acct.api_calls == 1
    assert w.waits == []


def test_401_is_token_revoked_and_not_retried(wire: Any, problem: Any) -> None:
    w = wire(lambda r: problem(401, "API Key Invalid", "Your API key may be invalid"))
    acct = w.connector().account("https://us1.api.example.test", "tok")
    with pytest.raises(TokenRevoked):
        acct.audiences()
    assert acct.api_calls == 1


def test_a_non_idempotent_create_is_not_repeated_after_a_lost_answer(
    wire: Any, problem: Any
) -> None:
    w = wire(scripted(httpx.ReadTimeout("timed out")))
    acct = w.connector().account("https://us1.api.example.test", "tok")
    spec = WebhookSpec(
        "https://hooks.example.test/s3cret", frozenset({"unsubscribe"}), frozenset({"user"})
    )
    with pytest.raises(MailChimpUnavailable):
        acct.create_webhook("l1", spec)
    assert acct.api_calls == 1


def test_a_non_idempotent_create_is_repeated_when_refused_unprocessed(
    wire: Any, problem: Any
) -> None:
    created = {
        "id": "w1",
        "url": "https://hooks.example.test/s3cret",
        "events": {"unsubscribe": True},
        "sources": {"user": True},
    }
    w = wire(
        scripted(
            httpx.ConnectError("refused"), httpx.Response(429), httpx.Response(200, json=created)
        )
    )
    acct = w.connector().account("https://us1.api.example.test", "tok")
    spec = WebhookSpec(created["url"], frozenset({"unsubscribe"}), frozenset({"user"}))
    assert acct.create_webhook("l1", spec).webhook_id == "w1"
    assert acct.api_calls == 3


def test_backoff_grows_exponentially_within_its_cap() -> None:
    requester = Requester(httpx.Client(), max_retries=3, jitter=lambda: 1.0)
    assert [requester.backoff(n) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert requester.backoff(30) == 30.0
    requester.close()


def test_retry_after_is_capped(wire: Any, problem: Any) -> None:
    w = wire(
        scripted(
            httpx.Response(503, headers={"Retry-After": "86400"}), httpx.Response(200, json=LISTS)
        )
    )
    w.connector().account("https://us1.api.example.test", "tok").audiences()
    assert w.waits == [120.0]


def test_a_403_without_a_json_body_is_the_throttle_and_is_retried(wire: Any, problem: Any) -> None:
    """docs/mailchimp-api.md §7.1: at high volume MailChimp may answer 429 or 403 without a JSON body."""
    w = wire(
        scripted(
            httpx.Response(403, text="<html>Forbidden</html>"),
            httpx.Response(403),
            httpx.Response(200, json=LISTS),
        )
    )
    acct = w.connector().account("https://us1.api.example.test", "tok")
    assert [a.audience_id for a in acct.audiences()] == ["l1"]
    assert acct.api_calls == 3 and len(w.waits) == 2


def test_a_403_with_a_problem_body_is_a_refusal_not_a_throttle(wire: Any, problem: Any) -> None:
    w = wire(lambda r: problem(403, "Forbidden", "You don't have permission"))
    acct = w.connector().account("https://us1.api.example.test", "tok")
    with pytest.raises(MailChimpError) as info:
        acct.audiences()
    assert info.value.status == 403 and acct.api_calls == 1

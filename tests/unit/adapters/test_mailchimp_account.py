from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp.gates import gate_for
from calendarspots_mailchimp.core.model import MemberStatus, MergeField, subscriber_hash
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    MemberErrorKind,
    MemberRejected,
    MemberWrite,
    WebhookSpec,
)

API = "https://us1.api.example.test"
TOKEN = "tok-secret-value"


def account(wire: Any, handler: Any, **kwargs: Any) -> tuple[Any, Any]:
    w = wire(handler)
    return w, w.connector(**kwargs).account(API, TOKEN)


def writes(n: int, start: int = 0) -> list[MemberWrite]:
    return [
        MemberWrite(
            f"Client{i}@Example.com",
            MemberStatus.SUBSCRIBED,
            {"FNAME": f"F{i}", "LNAME": "", "BIRTHDAY": "05/15"},
        )
        for i in range(start, start + n)
    ]


def echo_batch(request: httpx.Request) -> httpx.Response:
    """Creates even-numbered members, updates odd ones."""
    members = json.loads(request.content)["members"]
    new = [
        {"email_address": m["email_address"].lower()} for i, m in enumerate(members) if i % 2 == 0
    ]
    old = [{"email_address": m["email_address"].lower()} for i, m in enumerate(members) if i % 2]
    return httpx.Response(
        200,
        json={
            "new_members": new,
            "updated_members": old,
            "errors": [],
            "total_created": len(new),
            "total_updated": len(old),
            "error_count": 0,
        },
    )


# -- reads ----------------------------------------------------------------------------------


def test_audiences_page_by_offset_until_total_items(wire: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = 1000 if offset == 0 else 200
        lists = [
            {"id": f"l{offset + i}", "name": "n", "stats": {"member_count": i}} for i in range(size)
        ]
        return httpx.Response(200, json={"lists": lists, "total_items": 1200})

    w, acct = account(wire, handle)
    found = acct.audiences()
    assert len(found) == 1200
    assert found[5].audience_id == "l5"
    assert found[5].member_count == 5
    assert [r.url.path for r in w.requests] == ["/3.0/lists", "/3.0/lists"]
    assert [r.url.params["offset"] for r in w.requests] == ["0", "1000"]
    assert w.requests[0].url.params["count"] == "1000"
    assert w.requests[0].url.params["fields"] == (
        "lists.id,lists.name,lists.stats.member_count,total_items"
    )
    assert w.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_merge_fields_are_mapped(wire: Any) -> None:
    body = {
        "merge_fields": [
            {"merge_id": 1, "tag": "FNAME", "name": "First Name", "type": "text"},
            {"merge_id": 5, "tag": "BIRTHDAY", "name": "Birthday", "type": "birthday"},
        ],
        "total_items": 2,
    }
    w, acct = account(wire, lambda r: httpx.Response(200, json=body))
    assert acct.merge_fields("abc") == [
        MergeField("FNAME", "First Name", "text", 1),
        MergeField("BIRTHDAY", "Birthday", "birthday", 5),
    ]
    assert w.requests[0].url.path == "/3.0/lists/abc/merge-fields"
    assert w.requests[0].url.params["count"] == "1000"


def test_create_birthday_merge_field_sends_mm_dd(wire: Any) -> None:
    created = {"merge_id": 9, "tag": "BIRTHDAY", "name": "Birthday", "type": "birthday"}
    w, acct = account(wire, lambda r: httpx.Response(200, json=created))
    field = acct.create_merge_field("abc", MergeField("BIRTHDAY", "Birthday", "birthday"))
    assert field.merge_id == 9
    assert w.bodies() == [
        {
            "name": "Birthday",
            "type": "birthday",
            "tag": "BIRTHDAY",
            "required": False,
            "public": False,
            "options": {"date_format": "MM/DD"},
        }
    ]


def test_members_stream_with_filters(wire: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = 1000 if offset == 0 else 1
        members = [
            {
                "email_address": f"m{offset + i}@x.test",
                "status": "unsubscribed",
                "last_changed": "2024-03-01T10:00:00+00:00",
            }
            for i in range(size)
        ]
        return httpx.Response(200, json={"members": members, "total_items": 1001})

    w, acct = account(wire, handle)
    since = datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    stream = acct.members("abc", MemberStatus.UNSUBSCRIBED, since)
    first = next(stream)
    assert len(w.requests) == 1  # lazily paged
    rest = list(stream)
    assert len(rest) == 1000
    assert first.email == "m0@x.test"
    assert first.status is MemberStatus.UNSUBSCRIBED
    assert first.last_changed == datetime(2024, 3, 1, 10, tzinfo=UTC)
    params = w.requests[0].url.params
    assert params["status"] == "unsubscribed"
    assert params["since_last_changed"] == "2024-03-01T10:30:00+00:00"
    assert params["fields"] == (
        "members.email_address,members.status,members.last_changed,total_items"
    )


def test_members_of_a_deleted_audience(wire: Any, problem: Any) -> None:
    _, acct = account(wire, lambda r: problem(404, "Resource Not Found"))
    with pytest.raises(AudienceNotFound):
        list(acct.members("gone"))


def test_get_member_absent_is_none_and_gone_audience_raises(wire: Any, problem: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/3.0/lists/abc":
            return httpx.Response(200, json={"id": "abc"})
        return problem(404, "Resource Not Found")

    w, acct = account(wire, handle)
    assert acct.get_member("abc", "Nobody@X.test") is None
    assert w.requests[0].url.path == f"/3.0/lists/abc/members/{subscriber_hash('nobody@x.test')}"
    with pytest.raises(AudienceNotFound):
        acct.get_member("zzz", "nobody@x.test")


def test_get_member_reads_merge_fields(wire: Any) -> None:
    member = {
        "email_address": "a@x.test",
        "status": "subscribed",
        "merge_fields": {"FNAME": "Ann", "ADDRESS": {"addr1": ""}, "NUM": 3},
    }
    _, acct = account(wire, lambda r: httpx.Response(200, json=member))
    state = acct.get_member("abc", "a@x.test")
    assert state is not None
    assert state.merge_fields == {"FNAME": "Ann", "NUM": "3"}


# -- single-member writes -----------------------------------------------------------------


@pytest.mark.R10
def test_upsert_member_never_sends_status(wire: Any) -> None:
    reply = {"email_address": "a@x.test", "status": "unsubscribed"}
    w, acct = account(wire, lambda r: httpx.Response(200, json=reply))
    state = acct.upsert_member(
        "abc", MemberWrite("A@X.test", MemberStatus.SUBSCRIBED, {"FNAME": "A"})
    )
    assert state.status is MemberStatus.UNSUBSCRIBED
    (request,) = w.requests
    assert request.method == "PUT"
    assert request.url.path == f"/3.0/lists/abc/members/{subscriber_hash('a@x.test')}"
    body = json.loads(request.content)
    assert body == {
        "email_address": "A@X.test",
        "status_if_new": "subscribed",
        "merge_fields": {"FNAME": "A"},
    }
    assert "status" not in body


def test_upsert_refusal_is_a_member_rejection(wire: Any, problem: Any) -> None:
    _, acct = account(
        wire,
        lambda r: problem(
            400,
            "Member In Compliance State",
            "a@x.test is in a compliance state due to unsubscribe, bounce, or compliance review",
        ),
    )
    with pytest.raises(MemberRejected) as info:
        acct.upsert_member("abc", MemberWrite("a@x.test", MemberStatus.SUBSCRIBED))
    assert info.value.error.kind is MemberErrorKind.COMPLIANCE_STATE
    assert info.value.error.email == "a@x.test"


def test_change_email_patches_the_old_member(wire: Any) -> None:
    reply = {"email_address": "new@x.test", "status": "subscribed"}
    w, acct = account(wire, lambda r: httpx.Response(200, json=reply))
    assert (
        acct.change_email("abc", "Old@x.test", "new@x.test", {"FNAME": "N"}).email == "new@x.test"
    )
    (request,) = w.requests
    assert request.method == "PATCH"
    assert request.url.path.endswith(subscriber_hash("old@x.test"))
    assert json.loads(request.content) == {
        "email_address": "new@x.test",
        "merge_fields": {"FNAME": "N"},
    }


def test_change_email_to_an_existing_member_is_rejected(wire: Any, problem: Any) -> None:
    _, acct = account(
        wire, lambda r: problem(400, "Member Exists", "new@x.test is already a list member.")
    )
    with pytest.raises(MemberRejected) as info:
        acct.change_email("abc", "old@x.test", "new@x.test", {})
    assert info.value.error.kind is MemberErrorKind.EXISTS


def test_change_email_of_a_missing_member_is_rejected(wire: Any, problem: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"id": "abc"})
        return problem(404, "Resource Not Found")

    _, acct = account(wire, handle)
    with pytest.raises(MemberRejected) as info:
        acct.change_email("abc", "old@x.test", "new@x.test", {})
    assert info.value.error.email == "old@x.test"


def test_archiving_an_absent_member_is_fine(wire: Any, problem: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"id": "abc"})
        return problem(404, "Resource Not Found")

    w, acct = account(wire, handle)
    acct.archive_member("abc", "a@x.test")
    assert [r.method for r in w.requests] == ["DELETE", "GET"]


# -- batch subscribe ------------------------------------------------------------------------


def test_1200_members_go_in_three_calls(wire: Any) -> None:
    w, acct = account(wire, echo_batch)
    members = writes(1200)
    batches = [members[i : i + 500] for i in range(0, 1200, 500)]
    results = list(acct.batch_subscribe("abc", batches))
    assert len(w.requests) == 3 == acct.api_calls
    assert sorted(len(b) for b, _ in results) == [200, 500, 500]
    created = [e for _, r in results for e in r.created]
    updated = [e for _, r in results for e in r.updated]
    assert len(created) + len(updated) == 1200
    assert "Client0@Example.com" in created  # the caller's spelling comes back
    # Up to 10 calls in flight: the first batch is not always the first request to arrive.
    body = next(b for b in w.bodies() if b["members"][0]["email_address"] == "Client0@Example.com")
    assert body["update_existing"] is True
    assert body["members"][0] == {
        "email_address": "Client0@Example.com",
        "status": "subscribed",
        "merge_fields": {"FNAME": "F0", "LNAME": "", "BIRTHDAY": "05/15"},
    }
    assert {r.url.path for r in w.requests} == {"/3.0/lists/abc"}


def test_per_member_errors_are_parsed(wire: Any) -> None:
    reply = {
        "new_members": [{"email_address": "client0@example.com"}],
        "updated_members": [],
        "errors": [
            {
                "email_address": "client1@example.com",
                "error": "Your merge fields were invalid.",
                "error_code": "ERROR_GENERIC",
                "field": "BIRTHDAY",
                "field_message": "Please enter a month (01-12) and a day (01-31)",
            },
            {
                "email_address": "client2@example.com",
                "error": "client2@example.com looks fake or invalid, please enter a real email address.",
                "error_code": "ERROR_GENERIC",
            },
        ],
    }
    _, acct = account(wire, lambda r: httpx.Response(200, json=reply))
    ((_, result),) = list(acct.batch_subscribe("abc", [writes(4)]))
    assert result.created == ("Client0@Example.com",)
    kinds = {e.email: (e.kind, e.field) for e in result.errors}
    assert kinds == {
        "Client1@Example.com": (MemberErrorKind.MERGE_FIELDS, "BIRTHDAY"),
        "Client2@Example.com": (MemberErrorKind.FAKE_OR_INVALID, ""),
    }
    # Neither listed nor refused: taken as up to date (an unchanged existing member).
    assert result.updated == ()
    assert result.unchanged == ("Client3@Example.com",)


def test_a_batch_answer_tells_when_mailchimp_wrote_its_members(wire: Any) -> None:
    reply = {
        "new_members": [
            {"email_address": "client0@example.com", "last_changed": "2025-03-01T12:00:05+00:00"}
        ],
        "updated_members": [
            {"email_address": "client1@example.com", "last_changed": "2025-03-01T12:00:07+00:00"},
            {"email_address": "client2@example.com"},
        ],
        "errors": [],
    }
    _, acct = account(wire, lambda r: httpx.Response(200, json=reply))
    ((_, result),) = list(acct.batch_subscribe("abc", [writes(3)]))
    assert result.last_changed == datetime(2025, 3, 1, 12, 0, 7, tzinfo=UTC)
    _, acct = account(wire, lambda r: httpx.Response(200, json={"errors": []}))
    ((_, quiet),) = list(acct.batch_subscribe("abc", [writes(3)]))
    assert quiet.last_changed is None


def test_a_batch_over_500_is_refused(wire: Any) -> None:
    w, acct = account(wire, echo_batch)
    with pytest.raises(ValueError, match="at most 500"):
        list(acct.batch_subscribe("abc", [writes(501)]))
    assert w.requests == []


def test_batches_stream_lazily(wire: Any) -> None:
    pulled = itertools.count()

    def endless() -> Iterator[Sequence[MemberWrite]]:
        for i in itertools.count():
            next(pulled)
            yield writes(2, start=2 * i)

    _, acct = account(wire, echo_batch, max_connections=3)
    stream = acct.batch_subscribe("abc", endless())
    consumed = list(itertools.islice(stream, 4))
    stream.close()
    assert len(consumed) == 4
    assert next(pulled) <= 4 + 2 * 3  # never more than the backlog beyond what was consumed


def test_a_deleted_audience_stops_the_batches(wire: Any, problem: Any) -> None:
    _, acct = account(wire, lambda r: problem(404, "Resource Not Found"))
    with pytest.raises(AudienceNotFound):
        list(acct.batch_subscribe("gone", [writes(3), writes(3, 3)]))


def test_in_flight_requests_never_exceed_max_connections(wire: Any) -> None:
    limit = 3
    lock = threading.Lock()
    barrier = threading.Barrier(limit, timeout=5)
    state = {"in_flight": 0, "peak": 0, "seen": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
            state["seen"] += 1
            first_wave = state["seen"] <= limit
        try:
            if first_wave:
                barrier.wait()  # proves `limit` requests really run at once
            return echo_batch(request)
        finally:
            with lock:
                state["in_flight"] -= 1

    w = wire(handle)
    connector = w.connector(max_connections=limit)
    # Two account objects for the same account share one gate.
    accounts = [connector.account(API, TOKEN), connector.account(API + "/", TOKEN)]
    errors: list[BaseException] = []

    def run(acct: Any) -> None:
        try:
            list(acct.batch_subscribe("abc", [writes(5, 5 * i) for i in range(12)]))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert state["seen"] == 24
    assert state["peak"] == limit


def test_gates_are_per_account() -> None:
    a = gate_for(API, "t1", 10)
    assert gate_for(API + "/", "t1", 10) is a
    assert gate_for(API, "t2", 10) is not a
    # Two tenants authorized on one MailChimp account: two tokens, one limit.
    shared = gate_for(API, "t3", 10, account_id="acc-1")
    assert gate_for(API, "t4", 10, account_id="acc-1") is shared
    assert gate_for(API, "t3", 10, account_id="acc-2") is not shared


def test_account_id_reads_the_api_root(wire: Any) -> None:
    w, acct = account(
        wire, lambda r: httpx.Response(200, json={"account_id": "8d3a3db4d97663a9074efcc16"})
    )
    assert acct.account_id() == "8d3a3db4d97663a9074efcc16"
    (request,) = w.requests
    assert request.url.path == "/3.0/" and request.url.params["fields"] == "account_id"


# -- webhooks -------------------------------------------------------------------------------

SPEC = WebhookSpec(
    "https://plugin.example/webhooks/mailchimp/s3cr3t-path",
    frozenset({"subscribe", "unsubscribe", "profile", "cleaned", "upemail"}),
    frozenset({"user", "admin"}),
)


def webhook_json(webhook_id: str, spec: WebhookSpec) -> dict[str, Any]:
    return {
        "id": webhook_id,
        "url": spec.url,
        "list_id": "abc",
        "events": {
            e: e in spec.events
            for e in ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
        },
        "sources": {s: s in spec.sources for s in ("user", "admin", "api")},
    }


def test_webhooks_crud(wire: Any, problem: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if method == "GET" and path == "/3.0/lists/abc/webhooks":
            return httpx.Response(
                200, json={"webhooks": [webhook_json("w1", SPEC)], "total_items": 1}
            )
        if method in ("POST", "PATCH"):
            return httpx.Response(200, json={**json.loads(request.content), "id": "w1"})
        if method == "DELETE":
            return (
                problem(404, "Resource Not Found") if path.endswith("w9") else httpx.Response(204)
            )
        return httpx.Response(200, json={"id": "abc"})

    w, acct = account(wire, handle)
    created = acct.create_webhook("abc", SPEC)
    assert created.matches(SPEC)
    assert w.bodies()[0] == {
        "url": SPEC.url,
        "events": {
            "subscribe": True,
            "unsubscribe": True,
            "profile": True,
            "cleaned": True,
            "upemail": True,
            "campaign": False,
        },
        "sources": {"user": True, "admin": True, "api": False},
    }
    (listed,) = acct.webhooks("abc")
    assert listed.webhook_id == "w1"
    assert listed.matches(SPEC)
    narrower = WebhookSpec(SPEC.url, frozenset({"unsubscribe"}), frozenset({"user"}))
    assert acct.update_webhook("abc", "w1", narrower).matches(narrower)
    assert w.requests[-1].method == "PATCH"
    assert w.requests[-1].url.path == "/3.0/lists/abc/webhooks/w1"
    acct.delete_webhook("abc", "w1")
    acct.delete_webhook("abc", "w9")  # already gone is fine
    assert [r.method for r in w.requests[-3:]] == ["DELETE", "DELETE", "GET"]


def test_the_log_never_shows_the_token_or_the_webhook_secret(
    wire: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, acct = account(wire, lambda r: httpx.Response(200, json=webhook_json("w1", SPEC)))
    acct.create_webhook("abc", SPEC)
    text = caplog.text
    assert "POST /lists/{list_id}/webhooks -> 200" in text
    assert "plugin.example" in text
    assert TOKEN not in text
    assert "s3cr3t-path" not in text


def test_batch_subscribe_waits_as_long_as_mailchimp_and_skips_required_field_checks(
    wire: Any,
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return echo_batch(request)

    _w, acct = account(wire, handle)
    list(acct.batch_subscribe("aud1", [writes(2)]))
    (request,) = seen
    assert request.url.params["skip_merge_validation"] == "true"
    # MailChimp's own limit for one call is 120 s (docs/mailchimp-api.md §7.1): a shorter read timeout
    # would send a slow batch again while MailChimp is still working on the first.
    assert request.extensions["timeout"]["read"] == 120.0
    assert request.extensions["timeout"]["connect"] == 10.0


def test_upsert_member_skips_required_field_checks(wire: Any) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(
            200, json={"email_address": body["email_address"], "status": "subscribed"}
        )

    w, acct = account(wire, handle)
    acct.upsert_member("aud1", writes(1)[0])
    assert w.requests[0].url.params["skip_merge_validation"] == "true"


def test_a_member_with_a_status_unknown_to_this_code_is_skipped_not_fatal(
    wire: Any, caplog: pytest.LogCaptureFixture
) -> None:
    members = [
        {"email_address": "a@example.com", "status": "subscribed"},
        {"email_address": "b@example.com", "status": "some-new-status"},
        {"email_address": "c@example.com", "status": "unsubscribed"},
    ]
    _w, acct = account(
        wire, lambda r: httpx.Response(200, json={"members": members, "total_items": 3})
    )
    found = list(acct.members("aud1"))
    assert [(m.email, m.status) for m in found] == [
        ("a@example.com", MemberStatus.SUBSCRIBED),
        ("c@example.com", MemberStatus.UNSUBSCRIBED),
    ]
    assert "unknown status" in caplog.text

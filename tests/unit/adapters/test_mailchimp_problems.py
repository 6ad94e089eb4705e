from __future__ import annotations

from typing import Any

import httpx
import pytest

from calendarspots_mailchimp.adapters.mailchimp.problems import (
    batch_member_error,
    member_error,
    problem_of,
)
from calendarspots_mailchimp.ports.mailchimp import MailChimpUnavailable, MemberErrorKind


def _problem(body: dict[str, object], status: int = 400) -> httpx.Response:
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("title", "detail", "kind"),
    [
        (
            "Member In Compliance State",
            "a@b.co is in a compliance state due to unsubscribe",
            MemberErrorKind.COMPLIANCE_STATE,
        ),
        (
            "Invalid Resource",
            "a@b.co looks fake or invalid, please enter a real email address.",
            MemberErrorKind.FAKE_OR_INVALID,
        ),
        (
            "Forgotten Email Not Subscribed",
            "a@b.co was permanently deleted and cannot be re-imported.",
            MemberErrorKind.FORGOTTEN,
        ),
        ("Member Exists", "a@b.co is already a list member.", MemberErrorKind.EXISTS),
        ("Invalid Resource", "signed up to a lot of lists very recently", MemberErrorKind.OTHER),
    ],
)
def test_single_member_refusals_are_classified(
    title: str, detail: str, kind: MemberErrorKind
) -> None:
    error = member_error("a@b.co", problem_of(_problem({"title": title, "detail": detail})))
    assert (error.email, error.kind) == ("a@b.co", kind)
    assert detail in error.message


def test_merge_field_errors_name_the_field() -> None:
    body = {
        "title": "Invalid Resource",
        "detail": "Your merge fields were invalid.",
        "errors": [{"field": "BIRTHDAY", "message": "Please enter a month (01-12) and a day"}],
    }
    error = member_error("a@b.co", problem_of(_problem(body)))
    assert error.kind is MemberErrorKind.MERGE_FIELDS
    assert error.field == "BIRTHDAY"
    assert "Please enter a month" in error.message


def test_dotted_merge_field_names_are_shortened() -> None:
    body = {
        "title": "Invalid Resource",
        "detail": "",
        "errors": [{"field": "merge_fields.FNAME", "message": "bad"}],
    }
    assert member_error("a@b.co", problem_of(_problem(body))).field == "FNAME"


def test_an_email_field_error_is_not_a_merge_field_error() -> None:
    body = {
        "title": "Invalid Resource",
        "detail": "x",
        "errors": [{"field": "email_address", "message": "bad"}],
    }
    assert member_error("a@b.co", problem_of(_problem(body))).kind is MemberErrorKind.OTHER


def test_bodies_that_are_not_json_do_not_break_parsing() -> None:
    problem = problem_of(httpx.Response(403, text="<html>Forbidden</html>"))
    assert (problem.status, problem.title) == (403, "Forbidden")
    assert "Forbidden" in problem.detail
    assert problem_of(httpx.Response(429)).title == "Too Many Requests"


@pytest.mark.parametrize(
    ("item", "kind", "field"),
    [
        (
            {
                "email_address": "a@b.co",
                "error": "a@b.co is already a list member",
                "error_code": "ERROR_CONTACT_EXISTS",
            },
            MemberErrorKind.EXISTS,
            "",
        ),
        (
            {
                "email_address": "a@b.co",
                "error": "Your merge fields were invalid.",
                "error_code": "ERROR_GENERIC",
                "field": "BIRTHDAY",
                "field_message": "Please enter a month (01-12) and a day (01-31)",
            },
            MemberErrorKind.MERGE_FIELDS,
            "BIRTHDAY",
        ),
        (
            {
                "email_address": "a@b.co",
                "error": "a@b.co is in a compliance state due to unsubscribe",
                "error_code": "ERROR_GENERIC",
            },
            MemberErrorKind.COMPLIANCE_STATE,
            "",
        ),
        (
            {"email_address": "a@b.co", "error": "something else", "error_code": "ERROR_GENERIC"},
            MemberErrorKind.OTHER,
            "",
        ),
    ],
)
def test_batch_errors_are_classified(
    item: dict[str, object], kind: MemberErrorKind, field: str
) -> None:
    error = batch_member_error(item)
    assert (error.email, error.kind, error.field) == ("a@b.co", kind, field)


def test_an_html_error_page_becomes_one_short_line_of_text() -> None:
    page = (
        "<html><head><title>503 Service Temporarily Unavailable</title>"
        "<style>body{color:red}</style></head><body><center><h1>503 Service Temporarily "
        "Unavailable</h1></center>\n<hr><center>nginx</center></body></html>"
    )
    problem = problem_of(httpx.Response(503, text=page))
    assert problem.detail == (
        "503 Service Temporarily Unavailable 503 Service Temporarily Unavailable nginx"
    )
    assert "<" not in problem.detail and "color" not in problem.detail


def test_an_error_without_an_http_answer_shows_no_status_number() -> None:
    assert str(
        MailChimpUnavailable(0, "MailChimp could not be reached at x.test", "ConnectError")
    ) == ("MailChimp could not be reached at x.test: ConnectError")
    assert str(MailChimpUnavailable(503, "Service Unavailable")) == "HTTP 503 Service Unavailable"


def test_unreachable_mailchimp_is_named_in_the_error(wire: Any) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    acct = wire(down).connector(max_retries=1).account("https://us1.api.example.test", "tok")
    with pytest.raises(MailChimpUnavailable) as info:
        acct.audiences()
    assert str(info.value) == (
        "MailChimp could not be reached at us1.api.example.test: ConnectError on GET /lists"
    )

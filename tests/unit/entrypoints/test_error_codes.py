"""Every error a reader can meet is a code and facts worded in their language: each code the
source raises has English and French words, no error is raised without a code, and MailChimp's
errors (its login host's included) carry codes whose facts hold no secret."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.french import english_in

from calendarspots_mailchimp.adapters.mailchimp.oauth import HttpMailChimpOAuth
from calendarspots_mailchimp.adapters.mailchimp.requester import Requester
from calendarspots_mailchimp.core.errors import InvalidInput, NotFound
from calendarspots_mailchimp.entrypoints.errors import one_line
from calendarspots_mailchimp.entrypoints.i18n import translate
from calendarspots_mailchimp.entrypoints.messages import ERRORS, error_words, reason_words
from calendarspots_mailchimp.ports.mailchimp import MailChimpError, MailChimpUnavailable

ROOT = Path(__file__).resolve().parents[3]
LAYERS = ("core", "adapters", "entrypoints")

# The codes this change added, each with facts as the code that raises it gives them.
NEW = {
    "oauth.code_refused": {"status": 400, "error": "invalid_grant"},
    "oauth.no_token": {"status": 200},
    "oauth.token_refused": {"status": 200},
    "oauth.metadata_failed": {"status": 500},
    "oauth.metadata_unreadable": {},
    "mailchimp.unreachable": {"host": "login.mailchimp.com", "call": "POST /oauth2/token"},
    "mailchimp.unavailable": {
        "status": 503,
        "title": "Service Unavailable",
        "detail": "Try again later.",
        "call": "GET /lists",
    },
    "mailchimp.throttled": {"seconds": 120, "call": "POST /lists"},
    "mailchimp.refused": {"status": 400, "title": "Invalid Resource", "detail": "Bad field."},
    "mailchimp.audience_gone": {},
    "mailchimp.unexpected": {},
    "no_sync_run": {"run": 7, "tenant": "salon"},
    "already_synced": {"tenant": "salon", "night": "2026-11-28"},
    "webhook.fields": {"count": 250, "most": 200},
    "webhook.field_long": {"field": "data[merges][FNAME]"},
    "webhook.field_control": {"field": "data[email]"},
    "webhook.event_type": {"type": "bogus"},
    "webhook.no_list": {},
    "webhook.email_long": {"limit": 254},
    "webhook.no_email": {},
    "webhook.upemail": {},
    "webhook.foreign_audience": {},
    "webhook.not_found": {},
    "needs_reauthorization": {"tenant": "salon"},
    "sync.failed": {
        "tenant": "salon",
        "failure": "mailchimp",
        "kind": "manual",
        "error": "mailchimp.unavailable "
        '{"call": "GET /lists", "detail": "", "status": 503, "title": "Service Unavailable"}',
        "list": "calendarspots",
    },
    "sync.held": {
        "tenant": "salon",
        "updates": 30,
        "archives": 0,
        "members": 100,
        "update_percent": 30.0,
        "archive_percent": 0.0,
        "update_limit": 20.0,
        "archive_limit": 5.0,
    },
}


@pytest.mark.parametrize("code", sorted(NEW))
def test_each_new_code_has_english_and_french_words(code: str) -> None:
    english = error_words(code, NEW[code], translate("en"))
    french = error_words(code, NEW[code], translate("fr"))
    assert english and french, code
    assert french != english
    assert "{" not in english and "{" not in french
    # French words only: what is left of English is a code, a command or MailChimp's call.
    assert english_in(french) == [], (code, french)


def test_mailchimp_s_own_english_is_for_english_readers_only() -> None:
    facts = NEW["mailchimp.refused"]
    english = error_words("mailchimp.refused", facts, translate("en"))
    french = error_words("mailchimp.refused", facts, translate("fr"))
    assert english == "MailChimp refused the request: HTTP 400 (Invalid Resource: Bad field.)"
    assert french == "MailChimp a refusé la requête : HTTP 400"
    bare = error_words("mailchimp.refused", {"status": 400}, translate("en"))
    assert bare == "MailChimp refused the request: HTTP 400"


def _source_codes() -> set[str]:
    found: set[str] = set()
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            text = path.read_text("utf-8")
            found |= set(re.findall(r'\bcode ?= ?"([a-z][a-z0-9_.-]*)"', text))
    return found


def test_every_code_the_source_gives_is_worded_in_both_languages() -> None:
    codes = _source_codes()
    assert set(NEW) <= codes
    missing = [
        code
        for code in sorted(codes)
        if code != "row.problems"  # its facts are other codes (worded with them)
        and not (error_words(code, NEW.get(code, {}), translate("en")) or code in ERRORS)
    ]
    assert missing == []
    for code in sorted(set(ERRORS) & codes - {"row.problems"}):
        assert translate("fr")._(ERRORS[code]) != ERRORS[code], code


# Exceptions a reader can meet: raised by name, each needs `code=` (TooSoon sets its own).
_ERRORS = {
    "CalendarspotsError",
    "InvalidInput",
    "NotFound",
    "AlreadyExists",
    "ConfigurationError",
    "NotConnected",
    "AudienceContractError",
    "AuthorizationError",
    "SyncInProgress",
    "SyncFailed",
    "SyncHeld",
    "Unauthorized",
    "AlreadySynced",
    "ForeignList",
    "MailChimpError",
    "TokenRevoked",
    "AudienceNotFound",
    "RateLimited",
    "MailChimpUnavailable",
    "MemberRejected",
}
# Raised and caught in the same function, never shown: (file, exception).
_INTERNAL = {("core/services/sync/emails.py", "MemberRejected")}


def test_no_error_is_raised_without_a_code() -> None:
    uncoded = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                keywords = {k.arg for k in node.keywords}
                if (
                    name in _ERRORS
                    and "code" not in keywords
                    and None not in keywords  # **facts passed on
                    and (where, name) not in _INTERNAL
                    and not where.endswith("core/errors.py")  # the classes themselves
                ):
                    uncoded.append(f"{where}:{node.lineno} {name}")
    assert uncoded == []


def test_errors_once_without_a_code_read_in_french() -> None:
    run = NotFound(
        "sync run 7 does not exist for tenant 'salon'",
        code="no_sync_run",
        facts={"run": 7, "tenant": "salon"},
    )
    assert one_line(run) == "sync run 7 of tenant 'salon' does not exist"
    said = "la synchronisation n°\u00a07 de l'entreprise « salon » n'existe pas"
    assert error_words(run.code, run.facts, translate("fr")) == said
    assert one_line(run, "fr") == " ".join(said.split())  # one line: spaces as spaces
    webhook = InvalidInput("data[list_id] is missing", code="webhook.no_list")
    assert one_line(webhook, "fr") == "data[list_id] manque"


def test_a_mailchimp_error_with_a_code_is_worded_and_stored_as_a_code() -> None:
    down = MailChimpUnavailable(
        0,
        "MailChimp could not be reached at login.mailchimp.com",
        "ConnectError on POST /oauth2/token",
        code="mailchimp.unreachable",
        facts={"host": "login.mailchimp.com", "call": "POST /oauth2/token"},
    )
    assert (
        one_line(down)
        == "MailChimp could not be reached at login.mailchimp.com (POST /oauth2/token)"
    )
    assert (
        one_line(down, "fr")
        == "MailChimp est injoignable à login.mailchimp.com (POST /oauth2/token)"
    )
    assert reason_words(down.reason, "fr") == one_line(down, "fr")
    # Without a code: its message, as before.
    assert (
        one_line(MailChimpError(500, "Internal Server Error")) == "HTTP 500 Internal Server Error"
    )
    assert MailChimpError(500, "Internal Server Error").reason == "HTTP 500 Internal Server Error"


# -- the login host's errors, from the adapter: codes, and facts without a secret ----------------

CODE, SECRET, TOKEN = "the-one-use-code-123", "client-secret-456", "token-789"


def _oauth(answer: Any) -> HttpMailChimpOAuth:
    client = httpx.Client(
        base_url="https://login.example.test", transport=httpx.MockTransport(answer)
    )
    requester = Requester(client, max_retries=0, sleep=lambda seconds: None)
    return HttpMailChimpOAuth(requester, "https://login.example.test", "client-id", SECRET)


def _no_secret(exc: MailChimpError) -> None:
    for secret in (CODE, SECRET, TOKEN):
        assert secret not in exc.reason
        assert secret not in one_line(exc) and secret not in one_line(exc, "fr")


def test_a_refused_code_exchange_is_a_code_without_the_code_or_the_secret() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "error": "invalid_grant",
                "error_description": f"code {CODE} for secret {SECRET} is invalid",
            },
        )

    with pytest.raises(MailChimpError) as info:
        _oauth(refuse).exchange_code(CODE, "https://app.test/cb")
    exc = info.value
    assert (exc.code, exc.facts) == (
        "oauth.code_refused",
        {"status": 400, "error": "invalid_grant"},
    )
    _no_secret(exc)
    assert one_line(exc, "fr") == (
        "MailChimp a refusé d'échanger le code d'autorisation contre un jeton : "
        "HTTP 400, invalid_grant"
    )


def test_an_oauth_error_that_is_not_a_plain_code_is_left_out() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": f"bad {CODE} given"})

    with pytest.raises(MailChimpError) as info:
        _oauth(refuse).exchange_code(CODE, "https://app.test/cb")
    assert info.value.facts == {"status": 401, "error": ""}
    _no_secret(info.value)
    assert one_line(info.value) == (
        "MailChimp refused to exchange the authorization code for a token: HTTP 401"
    )


def test_the_login_host_down_or_failing_is_a_code_without_its_words() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"title": "Oops", "detail": f"{CODE} {SECRET}"})

    with pytest.raises(MailChimpUnavailable) as info:
        _oauth(fail).exchange_code(CODE, "https://app.test/cb")
    assert info.value.code == "mailchimp.unavailable"
    assert info.value.facts == {"status": 500, "call": "POST /oauth2/token"}
    _no_secret(info.value)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(MailChimpUnavailable) as unreachable:
        _oauth(down).metadata(TOKEN)
    assert unreachable.value.code == "mailchimp.unreachable"
    assert unreachable.value.facts == {"host": "login.example.test", "call": "GET /oauth2/metadata"}
    _no_secret(unreachable.value)


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.Response(200, json={"error": "invalid_token"}), "oauth.token_refused"),
        (httpx.Response(404, json={"title": "Not Found"}), "oauth.metadata_failed"),
        (httpx.Response(200, json={"accountname": "Salon"}), "oauth.metadata_unreadable"),
    ],
)
def test_metadata_failures_are_codes(answer: httpx.Response, code: str) -> None:
    with pytest.raises(MailChimpError) as info:
        _oauth(lambda request: answer).metadata(TOKEN)
    assert info.value.code == code
    _no_secret(info.value)
    french = one_line(info.value, "fr")
    assert french.startswith("MailChimp n'a pas") or french.startswith("MailChimp a refusé")
    assert english_in(french) == []


def test_an_answer_without_a_token_is_a_code() -> None:
    with pytest.raises(MailChimpError) as info:
        _oauth(lambda request: httpx.Response(200, json={})).exchange_code(CODE, "https://a/cb")
    assert (info.value.code, info.value.facts) == ("oauth.no_token", {"status": 200})

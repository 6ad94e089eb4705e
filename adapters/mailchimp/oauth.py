"""MailChimp's OAuth2 web-server flow and metadata lookup (docs/mailchimp-api.md §1)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from calendarspots_mailchimp.adapters.mailchimp.problems import json_body, problem_of
from calendarspots_mailchimp.adapters.mailchimp.requester import Requester
from calendarspots_mailchimp.ports.mailchimp import AccountMetadata, MailChimpError, TokenRevoked
from calendarspots_mailchimp.ports.telemetry import Telemetry

# An OAuth `error` value is a short code (RFC 6749 §5.2: invalid_grant, invalid_client...):
# only such a code becomes a fact; MailChimp's `error_description` (free text that might
# repeat what was sent) never does.
_OAUTH_ERROR = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def oauth_error(value: object) -> str:
    """The answer's OAuth error code, or "" when it is missing or not a plain code."""
    text = str(value or "")
    return text if _OAUTH_ERROR.fullmatch(text) else ""


class HttpMailChimpOAuth:
    """Implements ports.mailchimp.MailChimpOAuth against `{oauth_base_url}/oauth2/...`."""

    def __init__(
        self, requester: Requester, oauth_base_url: str, client_id: str, client_secret: str
    ) -> None:
        self._http = requester
        self._base = oauth_base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret

    @property
    def api_calls(self) -> int:
        return self._http.counter.value

    def observe(self, telemetry: Telemetry) -> None:
        self._http.telemetry = telemetry

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        # No `scope`: MailChimp has none (§1.2).
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self._base}/oauth2/authorize?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> str:
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        # Not idempotent: a code is good for one exchange, so a repeat after a lost answer
        # would only be refused.
        response = self._http.send(
            "POST",
            f"{self._base}/oauth2/token",
            template="/oauth2/token",
            idempotent=False,
            data=form,
        )
        body = json_body(response)
        token = body.get("access_token")
        if response.is_success and isinstance(token, str) and token:
            return token
        problem = problem_of(response)
        # OAuth errors come as {"error", "error_description"} rather than problem+json.
        title = str(body.get("error") or problem.title)
        detail = str(body.get("error_description") or problem.detail)
        facts: dict[str, int | str] = {"status": response.status_code}
        code = "oauth.no_token"  # a success without a token
        if not response.is_success:
            code = "oauth.code_refused"
            facts["error"] = oauth_error(body.get("error"))
        raise MailChimpError(response.status_code, title, detail, code=code, facts=facts)

    def metadata(self, access_token: str) -> AccountMetadata:
        # `OAuth <token>` is the header the known clients send here (§1.4).
        response = self._http.send(
            "GET",
            f"{self._base}/oauth2/metadata",
            template="/oauth2/metadata",
            headers={"Authorization": f"OAuth {access_token}"},
        )
        body = json_body(response)
        # The endpoint may answer 200 with {"error": "invalid_token"} for a bad token (§1.4).
        if response.status_code == 401 or body.get("error") == "invalid_token":
            detail = str(body.get("error_description") or "the token was revoked")
            raise TokenRevoked(
                response.status_code,
                "invalid_token",
                detail,
                code="oauth.token_refused",
                facts={"status": response.status_code},
            )
        if not response.is_success:
            problem = problem_of(response)
            raise MailChimpError(
                problem.status,
                problem.title,
                problem.detail,
                code="oauth.metadata_failed",
                facts={"status": problem.status},
            )
        dc = body.get("dc")
        endpoint = body.get("api_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            if not isinstance(dc, str) or not dc:
                raise MailChimpError(
                    response.status_code,
                    "Unexpected response",
                    "metadata without dc or api_endpoint",
                    code="oauth.metadata_unreadable",
                )
            endpoint = f"https://{dc}.api.mailchimp.com"  # §1.5
        login = body.get("login")
        email = login.get("email", "") if isinstance(login, dict) else ""
        return AccountMetadata(
            dc=str(dc or ""),
            api_endpoint=endpoint,
            account_name=str(body.get("accountname") or ""),
            login_email=str(email or ""),
        )

    def close(self) -> None:
        self._http.close()

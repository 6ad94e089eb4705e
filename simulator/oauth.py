"""The login host: OAuth2 authorize / token / metadata (docs/mailchimp-api.md §1)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .store import Store

__all__ = ["oauth_routes"]


def _page(status: int, message: str) -> HTMLResponse:
    html = f"<!doctype html><title>MailChimp login</title><h1>Error</h1><p>{message}</p>"
    return HTMLResponse(html, status_code=status)


def _grant_error(description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_grant", "error_description": description}, status_code=400
    )


def oauth_routes(
    store: Store, client_id: str, client_secret: str, public_url: str | None
) -> list[Route]:
    def base_url(request: Request) -> str:
        return public_url or str(request.base_url).rstrip("/")

    async def authorize(request: Request) -> Response:
        query = request.query_params
        if query.get("response_type") != "code":
            return _page(400, "Invalid response_type: only 'code' is supported.")
        if query.get("client_id") != client_id:
            return _page(400, "Invalid client_id.")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return _page(400, "Invalid redirect_uri.")
        # The simulated owner approves at once, as the currently approving account.
        account = store.approving()
        code = store.issue_code(account.account_id, client_id, redirect_uri)
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)

    async def token(request: Request) -> Response:
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        if fields.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if fields.get("client_id") != client_id or fields.get("client_secret") != client_secret:
            return _grant_error("Invalid client credentials.")
        account_id = store.redeem_code(
            fields.get("code", ""), fields.get("client_id", ""), fields.get("redirect_uri", "")
        )
        if account_id is None:
            return _grant_error("Invalid, expired or already used authorization code.")
        # Observed token answer (docs/mailchimp-api.md §1.2): tokens never expire, no scopes.
        return JSONResponse(
            {"access_token": store.issue_token(account_id), "expires_in": 0, "scope": None}
        )

    async def metadata(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        account = None
        if scheme.lower() in ("oauth", "bearer") and value.strip():
            account = store.account_for_token(value.strip())
        if account is None:
            # Quirk: 200 even for an invalid token (docs/mailchimp-api.md §1.4).
            return JSONResponse({"error": "invalid_token"})
        base = base_url(request)
        return JSONResponse(
            {
                "dc": account.dc,
                "role": "owner",
                "accountname": account.account_name,
                "user_id": account.user_id,
                "login": {
                    "email": account.login,
                    "login_name": account.login,
                    "login_email": account.login,
                    "login_id": account.user_id,
                },
                "login_url": base,
                "api_endpoint": base,
            }
        )

    return [
        Route("/oauth2/authorize", authorize, methods=["GET"]),
        Route("/oauth2/token", token, methods=["POST"]),
        Route("/oauth2/metadata", metadata, methods=["GET"]),
    ]

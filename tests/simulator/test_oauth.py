from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from calendarspots_mailchimp.simulator import Account, RunningSimulator, Simulator, serve_in_thread

REDIRECT = "https://platform.example.com/mailchimp/callback"


def _authorize(url: str, **overrides: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "demo-client-id",
        "redirect_uri": REDIRECT,
        "state": "tenant-42",
        **overrides,
    }
    return httpx.get(url + "/oauth2/authorize", params=params)


def _code(response: httpx.Response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["tenant-42"]
    return query["code"][0]


def _exchange(url: str, code: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": "demo-client-id",
        "client_secret": "demo-client-secret",
        "redirect_uri": REDIRECT,
        "code": code,
        **overrides,
    }
    return httpx.post(url + "/oauth2/token", data=form)


def test_round_trip_gives_a_token_for_the_approving_account(
    sim: Simulator, running: RunningSimulator, account: Account
) -> None:
    other = sim.create_account(login="other@example.com", account_name="Other")
    sim.approve_as(other.account_id)
    token_answer = _exchange(running.url, _code(_authorize(running.url)))
    assert token_answer.status_code == 200
    body = token_answer.json()
    assert body["expires_in"] == 0
    assert body["scope"] is None
    meta = httpx.get(
        running.url + "/oauth2/metadata",
        headers={"Authorization": f"OAuth {body['access_token']}"},
    ).json()
    assert meta["dc"] == "us1"
    assert meta["accountname"] == "Other"
    assert meta["login"]["email"] == "other@example.com"
    assert meta["api_endpoint"] == running.url
    ping = httpx.get(
        meta["api_endpoint"] + "/3.0/ping",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert ping.json() == {"health_status": "Everything's Chimpy!"}


def test_without_accounts_a_demo_account_is_created(
    sim: Simulator, running: RunningSimulator
) -> None:
    token = _exchange(running.url, _code(_authorize(running.url))).json()["access_token"]
    meta = httpx.get(
        running.url + "/oauth2/metadata", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert meta["accountname"] == "Demo account"
    assert meta["login"]["email"] == "demo@example.com"


def test_authorize_refuses_bad_requests(running: RunningSimulator) -> None:
    assert _authorize(running.url, client_id="someone-else").status_code == 400
    assert _authorize(running.url, response_type="token").status_code == 400


def test_codes_are_single_use_and_bound_to_secret_and_redirect(
    running: RunningSimulator, account: Account
) -> None:
    code = _code(_authorize(running.url))
    wrong_secret = _exchange(running.url, code, client_secret="nope")
    assert wrong_secret.status_code == 400
    assert wrong_secret.json()["error"] == "invalid_grant"
    wrong_redirect = _exchange(running.url, code, redirect_uri=REDIRECT + "/other")
    assert wrong_redirect.status_code == 400
    assert wrong_redirect.json()["error"] == "invalid_grant"
    assert _exchange(running.url, code).status_code == 200
    reused = _exchange(running.url, code)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert _exchange(running.url, "unknown-code").json()["error"] == "invalid_grant"


def test_codes_expire_after_ten_minutes(account: Account) -> None:
    from datetime import UTC, datetime, timedelta

    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    clocked = Simulator(clock=lambda: now[0])
    clocked.create_account(login="a@example.com", account_name="A")
    with serve_in_thread(clocked) as handle, httpx.Client(base_url=handle.url) as client:
        code = _code(client.get("/oauth2/authorize", params={
            "response_type": "code", "client_id": "demo-client-id",
            "redirect_uri": REDIRECT, "state": "tenant-42",
        }))  # fmt: skip
        now[0] += timedelta(minutes=11)
        answer = client.post("/oauth2/token", data={
            "grant_type": "authorization_code", "client_id": "demo-client-id",
            "client_secret": "demo-client-secret", "redirect_uri": REDIRECT, "code": code,
        })  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_metadata_with_invalid_token_is_200_with_error(running: RunningSimulator) -> None:
    answer = httpx.get(running.url + "/oauth2/metadata", headers={"Authorization": "OAuth nope"})
    assert answer.status_code == 200
    assert answer.json() == {"error": "invalid_token"}


def test_revoked_tokens_get_401(
    sim: Simulator, running: RunningSimulator, account: Account, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(running.url + "/3.0/ping", headers=headers).status_code == 200
    sim.revoke_tokens(account.account_id)
    answer = httpx.get(running.url + "/3.0/ping", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["title"] == "API Key Invalid"
    meta = httpx.get(running.url + "/oauth2/metadata", headers={"Authorization": f"OAuth {token}"})
    assert meta.json() == {"error": "invalid_token"}


def test_basic_auth_with_api_key_style_token(running: RunningSimulator, token: str) -> None:
    answer = httpx.get(running.url + "/3.0/ping", auth=("anystring", f"{token}-us1"))
    assert answer.status_code == 200
    missing = httpx.get(running.url + "/3.0/ping")
    assert missing.status_code == 401
    assert missing.json()["title"] == "API Key Missing"


def test_public_url_is_advertised(account: Account) -> None:
    sim = Simulator(public_url="https://mc.example.test/")
    acct = sim.create_account(login="x@example.com", account_name="X")
    token = sim.issue_token(acct.account_id)
    with serve_in_thread(sim) as handle, httpx.Client(base_url=handle.url) as c:
        meta = c.get("/oauth2/metadata", headers={"Authorization": f"OAuth {token}"}).json()
    assert meta["api_endpoint"] == "https://mc.example.test"

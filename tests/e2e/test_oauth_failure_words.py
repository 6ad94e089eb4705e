"""A MailChimp authorization that fails on MailChimp's side (the bundled simulator told to
refuse) reads in the reader's language: `cs-mailchimp --lang fr activity` and the French
owner's callback page say it in French, with no English sentence and no secret."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from support.french import english_in
from support.harness import World

JSON = {"Accept": "application/json"}


def owner_comes_back(world: World, tenant: str = "salon") -> tuple[str, str]:
    """The owner opens the link and approves on MailChimp: the callback URL they are sent back
    to, and the one-use code in it (not yet exchanged)."""
    with httpx.Client(timeout=60) as browser:
        start = browser.get(world.start_link(tenant))
        assert start.status_code == 302, start.text
        at_mailchimp = browser.get(start.headers["location"])
        assert at_mailchimp.status_code == 302, at_mailchimp.text
    back = at_mailchimp.headers["location"]
    return back, parse_qs(urlsplit(back).query)["code"][0]


def refuse_next(world: World, path: str, status: int) -> None:
    """Tells the simulator, through its control API, to answer the next call on `path` so."""
    told = httpx.post(
        f"{world.sim_url}/_sim/faults", json={"status": status, "path_prefix": path}, timeout=10
    )
    assert told.status_code == 200, told.text


def test_a_token_exchange_mailchimp_refuses_reads_in_french_on_the_cli(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    back, code = owner_comes_back(world)
    refuse_next(world, "/oauth2/token", 500)

    page = httpx.get(back, headers={"Accept": "text/html"}, timeout=60)  # a French tenant

    assert page.status_code == 200
    assert "MailChimp n&#x27;a pas terminé l&#x27;autorisation" in page.text
    assert "MailChimp est indisponible : HTTP 500 sur POST /oauth2/token" in page.text
    assert english_in(page.text) == [], english_in(page.text)
    assert world.tenant().state == "not_connected"

    french = world.cli("--lang", "fr", "activity", "salon")
    assert french.exit_code == 0, french.output
    assert "authorization.failed" in french.stdout  # the kind stays a code, for scripts
    assert (
        "MailChimp n'a pas terminé l'autorisation (MailChimp est indisponible : HTTP 500 sur "
        "POST /oauth2/token) : cliquez de nouveau sur Autoriser."
    ) in french.stdout
    assert english_in(french.stdout) == [], english_in(french.stdout)
    assert "Internal Server Error" not in french.stdout  # MailChimp's own English
    english = world.cli("activity", "salon")
    assert (
        "MailChimp did not complete the authorization (MailChimp is unavailable: HTTP 500 on "
        "POST /oauth2/token): click Authorize again."
    ) in english.stdout
    # No secret in what was stored or shown: not the code, not the client secret.
    stored = world.cli("activity", "salon", "--json").stdout
    for secret in (code, world.settings.client_secret):
        assert secret not in stored + french.stdout + page.text


def test_a_code_mailchimp_refuses_reads_in_french_with_its_oauth_error(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    back, code = owner_comes_back(world)
    spent = httpx.post(  # the code is used once, elsewhere: MailChimp refuses it at the callback
        f"{world.sim_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": world.settings.client_id,
            "client_secret": world.settings.client_secret,
            "redirect_uri": world.settings.redirect_uri,
            "code": code,
        },
        timeout=10,
    )
    assert spent.status_code == 200, spent.text

    answer = httpx.get(back, headers=JSON, timeout=60)
    assert answer.json()["ok"] is False

    french = world.cli("--lang", "fr", "activity", "salon", "--kind", "authorization.failed")
    assert french.exit_code == 0, french.output
    said = (
        "MailChimp n'a pas terminé l'autorisation (MailChimp a refusé d'échanger le code "
        "d'autorisation contre un jeton : HTTP 400, invalid_grant) : cliquez de nouveau sur "
        "Autoriser."
    )
    assert said in french.stdout
    assert english_in(french.stdout) == [], english_in(french.stdout)
    assert "expired or already used" not in french.stdout  # MailChimp's description
    assert code not in french.stdout + world.cli("activity", "salon", "--json").stdout
    # The JSON caller reads English (a machine's stable words).
    assert answer.json()["message"] == (
        "MailChimp did not complete the authorization (MailChimp refused to exchange the "
        "authorization code for a token: HTTP 400, invalid_grant): click Authorize again."
    )

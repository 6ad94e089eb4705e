"""A one-use link opened a second time, or after its 15 minutes (found by a black-box probe):
`connect`'s authorization link and `owner-link`'s Newsletters link, over real HTTP.

A link we issued for the tenant (its signature holds) that was used or has expired gets a page
in the tenant's language saying so and what to do (ask the support team for a new link), and
nothing else about the tenant: 410 for the Newsletters link; for the authorization link, the
contract's 404 (SPEC: anything but a vouched caller or a live link gets the unknown tenant's
404), with the page for a browser and the plain 404 for anything else. A link we did not issue — forged, garbage, none,
another tenant's, an unknown tenant — still gets the plain 404 of an unknown tenant, and
writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.harness import World

from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.ports.clock import FixedClock

# What the page says, by (link, used, language): its heading, then a phrase of why.
SAID = {
    ("owner", True, "fr"): ("Ce lien a déjà servi", "ne l'ouvre qu'une seule fois"),
    ("owner", False, "fr"): ("Ce lien a expiré", "n'est valable que 15 minutes"),
    ("start", True, "fr"): ("Ce lien d'autorisation a déjà servi", "rien d'autre à faire"),
    ("start", False, "fr"): ("Ce lien d'autorisation a expiré", "n'est valable que 15 minutes"),
    ("owner", True, "en"): ("This link was already used", "opens it only once"),
    ("owner", False, "en"): ("This link has expired", "works for 15 minutes only"),
    ("start", True, "en"): ("This authorization link was already used", "nothing more to do"),
    ("start", False, "en"): ("This authorization link has expired", "works for 15 minutes only"),
}
FIX = {
    "fr": "pour obtenir un nouveau lien, contactez notre équipe de support.",
    "en": "to get a new link, contact our support team.",
}
# Where each link leads when it works.
OPENED = {"owner": 303, "start": 302}
# The answer's status for a link that was used or has expired.
SPENT = {"owner": 410, "start": 404}
# What a browser sends.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def add(world: World, tenant_id: str, locale: str) -> None:
    """A salon in French (Datedechoix.com) or a shop in English."""
    name = "Salon Belle" if locale == "fr" else "Shop Belle"
    world.container.tenants().add(AddTenant(tenant_id, name, "America/Montreal", locale=locale))


def make_link(world: World, kind: str, tenant_id: str) -> str:
    """What the support team hands the owner: `connect TENANT` or `owner-link TENANT`."""
    if kind == "start":
        return world.start_link(tenant_id)
    result = world.cli("owner-link", tenant_id, "--json")
    assert result.exit_code == 0, result.output
    link: str = json.loads(result.stdout)["url"]
    return link


def token_of(link: str) -> str:
    params = httpx.URL(link).params
    return params.get("link_token") or params["owner_token"]


def with_token(world: World, kind: str, tenant_id: str, token: str | None) -> str:
    """The link's route for `tenant_id` carrying `token` (None: no token at all)."""
    if kind == "start":
        query = {"tenant": tenant_id} | ({"link_token": token} if token is not None else {})
        return str(httpx.URL(f"{world.app_url}/oauth/mailchimp/start", params=query))
    url = f"{world.app_url}/tenants/{tenant_id}/newsletters"
    return str(httpx.URL(url, params={"owner_token": token} if token is not None else {}))


def spent_page(answer: httpx.Response, kind: str, used: bool, lang: str) -> None:
    heading, why = SAID[(kind, used, lang)]
    page = answer.text.replace("&#x27;", "'")
    assert answer.status_code == SPENT[kind], (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    assert "set-cookie" not in answer.headers and "location" not in answer.headers
    assert f'<html lang="{lang}">' in page
    assert f'<h1 class="bad">{heading}</h1>' in page and why in page
    assert FIX[lang] in page.lower()
    # Only what the holder knew: not the tenant's name, nor a way into its page or MailChimp.
    for secret in ("Salon Belle", "Shop Belle", "href=", "MailChimp est connecté", "calendarspots"):
        assert secret not in page, secret


def nothing_written(world: World, *tenants: str) -> None:
    for tenant_id in tenants:
        assert world.kinds(tenant_id) == []
        assert world.tenant(tenant_id).state == "not_connected"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", ["start", "owner"])
def test_a_link_opened_a_second_time_says_it_was_used_in_the_tenant_s_language(
    world: World, kind: str, lang: str
) -> None:
    add(world, "salon", lang)
    link = make_link(world, kind, "salon")
    assert httpx.get(link).status_code == OPENED[kind]

    spent_page(httpx.get(link, headers=BROWSER), kind, used=True, lang=lang)
    # The browser's language wins over the tenant's, as on the owner's pages.
    other = "en" if lang == "fr" else "fr"
    asked = httpx.get(link, headers=BROWSER | {"Accept-Language": f"{other}-CA,{other};q=0.9"})
    spent_page(asked, kind, used=True, lang=other)
    # A machine gets the same status, and the reason in English words; for the authorization
    # link, the plain 404 of an unknown tenant.
    machine = httpx.get(link, headers={"Accept": "application/json"})
    script = httpx.get(link)  # */*
    if kind == "owner":
        assert machine.status_code == 410
        assert machine.json() == {"error": "this link was used already: ask for a new one"}
    else:
        unknown = httpx.get(with_token(world, kind, "nobody", None))
        for answer in (machine, script):
            assert (answer.status_code, answer.text) == (404, unknown.text)
    assert world.kinds("salon") == []


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", ["start", "owner"])
def test_a_link_opened_after_fifteen_minutes_says_it_expired_and_is_not_spent(
    world: World, kind: str, lang: str
) -> None:
    add(world, "salon", lang)
    link = make_link(world, kind, "salon")

    world.container.clock.override(FixedClock(datetime.now(UTC) + timedelta(minutes=16)))
    try:
        spent_page(httpx.get(link, headers=BROWSER), kind, used=False, lang=lang)
    finally:
        world.container.clock.reset_override()

    nothing_written(world, "salon")
    # The expired attempt spent nothing: back within its 15 minutes, the link opens, once.
    assert httpx.get(link).status_code == OPENED[kind]
    spent_page(httpx.get(link, headers=BROWSER), kind, used=True, lang=lang)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", ["start", "owner"])
def test_a_link_we_did_not_issue_still_gets_the_unknown_tenant_s_404(
    world: World, kind: str, lang: str
) -> None:
    add(world, "salon", lang)
    add(world, "rival", lang)
    link = make_link(world, kind, "salon")
    token = token_of(link)
    body, _, sig = token.partition(".")
    # A link of the other kind is ours too, but signed for another use.
    other_kind = token_of(make_link(world, "owner" if kind == "start" else "start", "salon"))
    attempts: list[tuple[str, str | None]] = [
        ("salon", None),
        ("salon", ""),
        ("salon", "garbage"),
        ("salon", f"{body}.{sig[::-1]}"),  # tampered signature
        ("salon", f"{body[:-2]}xx.{sig}"),  # tampered claims
        ("salon", other_kind),
        ("rival", token),  # a link made for another tenant
        ("nobody", token),  # an unknown tenant
        ("nobody", None),
    ]
    unknown = httpx.get(with_token(world, kind, "nobody", None))
    assert unknown.status_code == 404
    for tenant_id, forged in attempts:
        answer = httpx.get(with_token(world, kind, tenant_id, forged))
        assert (answer.status_code, answer.text) == (404, unknown.text), (tenant_id, forged)
        assert "location" not in answer.headers and "set-cookie" not in answer.headers

    # Expired as well as forged: still the 404 (the signature decides, not the time).
    world.container.clock.override(FixedClock(datetime.now(UTC) + timedelta(minutes=16)))
    try:
        late = httpx.get(with_token(world, kind, "salon", f"{body}.{sig[::-1]}"))
    finally:
        world.container.clock.reset_override()
    assert (late.status_code, late.text) == (404, unknown.text)

    nothing_written(world, "salon", "rival")
    assert httpx.get(link).status_code == OPENED[kind]  # none of them spent the real link


def test_the_owner_who_opens_the_page_s_link_again_with_the_session_it_left_gets_the_page(
    world: World,
) -> None:
    """Clicking the link in the email again, in the same browser: the session it opened is
    still good, so the owner lands on the page rather than on a dead end."""
    add(world, "salon", "fr")
    link = make_link(world, "owner", "salon")
    with httpx.Client(timeout=60) as browser:
        assert browser.get(link).status_code == 303
        again = browser.get(link)
        assert again.status_code == 303, again.text
        assert again.headers["location"] == "/tenants/salon/newsletters"
        assert "set-cookie" not in again.headers
    spent_page(
        httpx.get(link, headers=BROWSER), "owner", used=True, lang="fr"
    )  # another browser: the page

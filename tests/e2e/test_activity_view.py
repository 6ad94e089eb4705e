"""R9 over HTTP: newest first, paged, filtered by kind, JSON or HTML in English and French,
behind the admin token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.harness import World

from calendarspots_mailchimp.core.model import ActivityKind
from calendarspots_mailchimp.core.services.tenancy import record_alone

pytestmark = pytest.mark.R9


def seeded(world: World) -> World:
    world.add_tenant("salon")
    world.add_tenant("other")
    for i in range(7):
        record_alone(
            world.uow,
            world.clock,
            "salon",
            ActivityKind.CONTACT_UNSUBSCRIBED,
            email=f"c{i}@example.com",
            client_id=f"id{i}",
            client_name=f"Zoé {i}",
            reason="manual",
            source="webhook",
        )
        record_alone(
            world.uow,
            world.clock,
            "salon",
            ActivityKind.MAILCHIMP_PROFILE_RECORDED,
            email=f"p{i}@example.com",
            merges={"FNAME": f"Gisèle{i}"},
            source="webhook",
        )
    record_alone(
        world.uow,
        world.clock,
        "other",
        ActivityKind.CHECK_PASSED,
        audience_id="other-audience",
        list_name="calendarspots",
    )
    return world


def get(
    world: World,
    path: str,
    token: str | None = "",
    headers: dict[str, str] | None = None,
    params: Any = None,
) -> httpx.Response:
    """token "" sends the admin token, None sends none."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token or world.settings.admin_token}"
    return httpx.get(f"{world.app_url}{path}", headers=sent, params=params, timeout=10)


def test_json_is_newest_first_paged_and_filtered(world: World) -> None:
    seeded(world)
    page = get(world, "/tenants/salon/activity", params={"limit": 5, "offset": 2})
    assert page.status_code == 200
    data = page.json()
    assert (page.headers["x-total-count"], len(data)) == ("14", 5)
    assert 'offset=7>; rel="next"' in page.headers["link"]
    everything = get(world, "/tenants/salon/activity", params={"limit": 100}).json()
    assert "link" not in get(world, "/tenants/salon/activity", params={"limit": 100}).headers
    assert data == everything[2:7]
    stamps = [e["at"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert everything[0]["message"] == (
        "p6@example.com updated their profile in MailChimp (first name “Gisèle6”). The client "
        "database was not changed: copy the new values by hand if relevant."
    )
    assert everything[0]["details"]["merges"] == {"FNAME": "Gisèle6"}
    assert set(everything[0]) == {"at", "kind", "message", "details"}
    only_page = get(world, "/tenants/salon/activity", params={"kind": "contact.unsubscribed"})
    only = only_page.json()
    assert only_page.headers["x-total-count"] == "7"
    assert {e["kind"] for e in only} == {"contact.unsubscribed"}
    filtered = get(
        world,
        "/tenants/salon/activity",
        params=[("limit", "4"), ("kind", "contact.unsubscribed"), ("kind", "check.passed")],
    )
    assert filtered.headers["x-total-count"] == "7"
    following = filtered.headers["link"].split(">")[0].lstrip("<")
    assert following == (
        "/tenants/salon/activity?limit=4&offset=4&kind=contact.unsubscribed&kind=check.passed"
    )
    second = get(world, following).json()
    assert len(second) == 3 and {e["kind"] for e in second} == {"contact.unsubscribed"}
    assert "other-audience" not in str(everything)


def test_html_in_english_and_french(world: World) -> None:
    seeded(world)
    english = get(
        world, "/tenants/salon/activity", headers={"Accept": "text/html", "Accept-Language": "en"}
    )
    assert english.headers["content-type"].startswith("text/html")
    assert (
        '<html lang="en">' in english.text and "Zoé 6 (c6@example.com) unsubscribed" in english.text
    )
    french = get(
        world,
        "/tenants/salon/activity",
        headers={"Accept": "text/html", "Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"},
        params={"limit": 4, "kind": "mailchimp.profile.recorded"},
    )
    assert '<html lang="fr">' in french.text
    assert "Profil modifié (noté)" in french.text
    assert "a modifié son profil dans MailChimp (prénom « Gisèle6 »)" in french.text
    assert "kind=mailchimp.profile.recorded" in french.text  # paging keeps the filter
    forced = get(world, "/tenants/salon/activity", params={"lang": "fr", "format": "html"})
    assert "Zoé 6 (c6@example.com) s&#x27;est désabonné" in forced.text
    json_fr = get(world, "/tenants/salon/activity", params={"lang": "fr"}).json()
    assert json_fr[0]["message"].startswith("p6@example.com updated their profile")  # English


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic xyz"}, {"Authorization": ""}],
)
def test_missing_or_wrong_token_is_401(world: World, headers: dict[str, str]) -> None:
    seeded(world)
    answer = get(world, "/tenants/salon/activity", token=None, headers=headers)
    assert answer.status_code == 401
    assert "unsubscribed" not in answer.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "x"}, 400),
        ({"limit": "0"}, 400),
        ({"limit": "5000"}, 400),
        ({"offset": "-1"}, 400),
        ({"offset": "99999999999999999999999"}, 400),
    ],
)
def test_bad_paging_is_400(world: World, params: dict[str, str], status: int) -> None:
    seeded(world)
    assert get(world, "/tenants/salon/activity", params=params).status_code == status


def test_unknown_tenant_is_404_with_a_token_and_401_without(world: World) -> None:
    assert get(world, "/tenants/nobody/activity").status_code == 404
    assert get(world, "/tenants/nobody/activity", token=None).status_code == 401


def test_the_page_speaks_the_tenant_s_language_unless_the_browser_asks(world: World) -> None:
    world.cli("tenants", "add", "spa", "--name", "Spa", "--timezone", "UTC", "--locale", "en")
    world.add_tenant("salon")  # French by default
    html = {"Accept": "text/html"}
    assert '<html lang="fr">' in get(world, "/tenants/salon/activity", headers=html).text
    assert '<html lang="en">' in get(world, "/tenants/spa/activity", headers=html).text
    asked = {"Accept": "text/html", "Accept-Language": "en-CA"}
    assert '<html lang="en">' in get(world, "/tenants/salon/activity", headers=asked).text

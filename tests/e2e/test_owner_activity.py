"""The owner's "Voir l'activité" over real HTTP: reached with the owner's session, local times in
words, owner words instead of codes, filters and paging as plain links, operator noise hidden,
bad input answered clearly — while the JSON contract for API callers stays whole."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
from support.harness import World

from calendarspots_mailchimp.core.model import ActivityKind
from calendarspots_mailchimp.core.services.tenancy import record_alone
from calendarspots_mailchimp.ports.clock import FixedClock


@contextmanager
def logged_in(world: World, tenant: str = "salon") -> Iterator[httpx.Client]:
    link = json.loads(world.cli("owner-link", tenant, "--json").stdout)["url"]
    with httpx.Client(base_url=world.app_url, timeout=60) as browser:
        assert browser.get(link).status_code == 303
        yield browser


K = ActivityKind
# 01:39 UTC on December 6th is 20:39 on December 5th in Montréal (a tenant's default zone).
AT = datetime(2026, 12, 6, 1, 39, tzinfo=UTC)
CODES = re.compile(r"\b(?:sync|contact|check|webhook|mailchimp|authorization)\.[a-z_.]+\b")


def seed(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", [("zoe@example.com", "Zoé", "Roy", "")])
    zoe = next(iter(world.clients()))

    def add(minutes: int, kind: ActivityKind, **details: object) -> None:
        clock = FixedClock(AT + timedelta(minutes=minutes))
        record_alone(world.uow, clock, "salon", kind, **details)

    counts = {"created": 1, "updated": 0, "unchanged": 3, "skipped": 1, "failed": 0}
    refused = {"client_id": zoe, "email": "zoe@example.com", "reason": "refused_before:forgotten"}
    invalid = {"client_id": "gone", "email": "pas une adresse", "reason": "invalid_email"}
    add(0, K.CHECK_PASSED, audience_id="L1", list_name="calendarspots")
    add(1, K.SYNC_PARTIAL, run="nightly", counts=counts, problems=[refused, invalid])
    for i in range(3):  # the same foreign audience's events, three times: shown once
        add(2 + i, K.WEBHOOK_REFUSED, type="subscribe", list_id="other", audience_id="L1")
    add(5, K.MAILCHIMP_CAMPAIGN_RECORDED, campaign={"subject": "Promo", "status": "sent"})
    for i in range(25):
        add(10 + i, K.CONTACT_UNSUBSCRIBED, email=f"c{i}@example.com", reason="manual")
    add(40, K.CHECK_PASSED, audience_id="L1", list_name="calendarspots")


def rows(html: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", " ", r)) for r in re.findall(r"<tr><td>.*?</tr>", html)]


def test_the_owner_reads_the_activity_in_french_local_time_without_noise(world: World) -> None:
    seed(world)
    with logged_in(world) as browser:
        page = browser.get("/tenants/salon/activity", headers={"Accept": "text/html"})
        assert page.status_code == 200 and '<html lang="fr">' in page.text
        assert "Voir l&#x27;activité — Salon salon" in page.text
        shown = rows(page.text)
        assert len(shown) == 20  # a page; the passing checks and the campaign are not there
        assert "le 5\u00a0décembre 2026 à 21\u00a0h\u00a008" in shown[5]  # 01:39 + 29 min UTC
        assert "Vérification" not in page.text and "Promo" not in page.text
        assert not CODES.search(page.text) and "UTC" not in page.text and "+00:00" not in page.text
        assert "Plus anciennes" in page.text and "Plus récentes" not in page.text

        older = re.search(r'href="([^"]*offset=20[^"]*)">Plus anciennes', page.text)
        assert older is not None
        second = browser.get("/tenants/salon/activity" + unescape(older.group(1)))
        rest = rows(second.text)
        assert "Plus récentes" in second.text and "Plus anciennes" not in second.text
        # 25 unsubscribes, the sync, one refused event (of three): 27 in all.
        assert len(rest) == 7
        assert sum("Événement refusé" in r for r in rest) == 1
        sync = next(r for r in rest if "Synchronisation partielle" in r)
        assert "pas une adresse — adresse courriel invalide" in sync
        assert "zoe@example.com" not in sync  # refused again as before: said at that sync


@pytest.mark.parametrize(
    ("show", "label", "count"),
    [("problems", "Problèmes", 2), ("opt_outs", "Désabonnements", 20), ("syncs", "Synchro", 1)],
)
def test_the_filters_are_plain_links(world: World, show: str, label: str, count: int) -> None:
    seed(world)
    with logged_in(world) as browser:
        page = browser.get("/tenants/salon/activity", params={"format": "html"})
        link = re.search(rf'<a href="([^"]*show={show}[^"]*)">{label}', page.text)
        assert link is not None, page.text
        filtered = browser.get("/tenants/salon/activity" + unescape(link.group(1)))
        assert len(rows(filtered.text)) == count
        assert f"show={show}&amp;offset=" not in filtered.text or count == 20
        assert 'aria-current="page"' in filtered.text


def test_the_json_for_api_callers_is_unchanged_and_whole(world: World) -> None:
    seed(world)
    admin = {"Authorization": f"Bearer {world.settings.admin_token}"}
    answer = httpx.get(f"{world.app_url}/tenants/salon/activity?limit=100", headers=admin)
    data = answer.json()
    assert answer.headers["x-total-count"] == "32" and len(data) == 32  # noise included
    assert {"check.passed", "mailchimp.campaign.recorded"} <= {e["kind"] for e in data}
    assert set(data[0]) == {"at", "kind", "message", "details"}
    paged = httpx.get(f"{world.app_url}/tenants/salon/activity?limit=10", headers=admin)
    assert 'offset=10>; rel="next"' in paged.headers["link"]


@pytest.mark.parametrize(
    "params",
    [
        {"format": "html", "show": "everything"},
        {"format": "html", "offset": "-3"},
        {"format": "html", "limit": "abc"},
        {"format": "html", "limit": "5000"},
    ],
)
def test_bad_filters_or_paging_get_a_clear_french_answer(
    world: World, params: dict[str, str]
) -> None:
    seed(world)
    before = world.kinds(limit=500)
    with logged_in(world) as browser:
        answer = browser.get("/tenants/salon/activity", params=params)
    assert answer.status_code == 400
    assert "Cette page de l&#x27;activité n&#x27;existe pas" in answer.text
    assert '<html lang="fr">' in answer.text and "limit" not in answer.text
    assert world.kinds(limit=500) == before


def test_no_session_or_another_tenant_s_session_sees_nothing(world: World) -> None:
    seed(world)
    world.add_tenant("rival")
    html = {"Accept": "text/html"}
    for tenant in ("salon", "nobody"):
        answer = httpx.get(f"{world.app_url}/tenants/{tenant}/activity", headers=html)
        assert answer.status_code == 401 and "example.com" not in answer.text
    with logged_in(world, "rival") as rival:
        cookie = {"Cookie": f"csmc_owner={rival.cookies['csmc_owner']}"}
        stolen = httpx.get(f"{world.app_url}/tenants/salon/activity", headers={**html, **cookie})
        assert stolen.status_code == 401 and "c1@example.com" not in stolen.text


def test_the_newsletters_page_links_to_the_activity(world: World) -> None:
    seed(world)
    with logged_in(world) as browser:
        page = browser.get("/tenants/salon/newsletters")
        link = re.search(r'<a href="([^"]+)">Voir l&#x27;activité</a>', page.text)
        assert link is not None
        assert browser.get(unescape(link.group(1))).status_code == 200

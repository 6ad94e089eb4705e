"""The owner's "Voir l'activité" and "Un client n'est pas dans MailChimp ?" in a real browser
(Chromium, driven by Playwright): French words and local times, the filters and the paging as
plain links (no JavaScript), operator noise hidden, the keyboard reaching every link, and a
client's story. Screenshots go to build/browser-results/."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from support.browser import Browse, heading_levels, headings_in_order, nameless_controls, screenshot
from support.harness import World, sample_rows

from calendarspots_mailchimp.core.model import ActivityKind
from calendarspots_mailchimp.core.services.tenancy import record_alone
from calendarspots_mailchimp.ports.clock import FixedClock

K = ActivityKind
AT = datetime(2026, 12, 6, 1, 39, tzinfo=UTC)  # 20 h 39 on December 5th in Montréal
CODES = re.compile(r"\b(?:sync|contact|check|webhook|mailchimp|authorization)\.[a-z_.]+\b")


def seeded_salon(world: World) -> None:
    """A connected French salon whose log holds noise, a sync with a client not sent, and 25
    unsubscribes (two pages of 20)."""
    world.add_tenant("salon")
    world.import_rows("salon", [*sample_rows(3), ("pas une adresse", "Zoé", "Roy", "")])
    world.mailchimp()
    assert world.authorize("salon")["ok"] is True

    def add(minutes: int, kind: ActivityKind, **details: object) -> None:
        clock = FixedClock(AT + timedelta(minutes=minutes))
        record_alone(world.uow, clock, "salon", kind, **details)

    for i in range(3):
        add(i, K.CHECK_PASSED, audience_id="L1", list_name="calendarspots")
    for i in range(25):
        add(10 + i, K.CONTACT_UNSUBSCRIBED, email=f"c{i}@example.com", reason="manual")
    add(50, K.CHECK_PASSED, audience_id="L1", list_name="calendarspots")


def open_activity(world: World, browse: Browse) -> Page:
    page = browse()
    page.goto(json.loads(world.cli("owner-link", "salon", "--json").stdout)["url"])
    page.get_by_role("link", name="Voir l'activité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voir l'activité — Salon salon")
    return page


def rows(page: Page) -> list[str]:
    return page.locator("tbody tr").all_inner_texts()


def test_the_activity_in_french_local_time_without_codes_or_noise(
    world: World, browse: Browse
) -> None:
    seeded_salon(world)
    page = open_activity(world, browse)

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    first = rows(page)[0]
    assert first.startswith("le 5\u00a0décembre 2026 à 21\u00a0h\u00a013")  # 01:39 + 34 min UTC
    assert "Désabonnement" in first and "c24@example.com s'est désabonné" in first
    body = page.locator("body").inner_text()
    assert not CODES.search(body), body
    assert "UTC" not in body and "Vérification réussie" not in body  # passing checks hidden
    assert len(rows(page)) == 20
    assert nameless_controls(page) == []
    assert headings_in_order(heading_levels(page))
    screenshot(page, "fr-activity")


def test_the_filters_and_the_paging_are_links(world: World, browse: Browse) -> None:
    seeded_salon(world)
    page = open_activity(world, browse)

    page.get_by_role("link", name="Plus anciennes").click()
    expect(page.get_by_role("link", name="Plus récentes")).to_be_visible()
    expect(page.get_by_role("link", name="Plus anciennes")).to_have_count(0)
    older = rows(page)
    # 25 unsubscribes, the initial sync, the webhook and the authorization: 28 in all.
    assert len(older) == 8 and any("Synchronisation réussie" in r for r in older), older
    expect(page.get_by_text("Entrées 21 à 28", exact=False)).to_be_visible()
    screenshot(page, "fr-activity-older")  # the README's docs/owner-activity-fr.png

    page.get_by_role("link", name="Synchronisations").click()
    expect(page.get_by_role("link", name="Synchronisations")).to_have_attribute(
        "aria-current", "page"
    )
    synced = rows(page)
    assert len(synced) == 1 and "1\u00a0ignoré" in synced[0]
    assert "Zoé Roy (pas une adresse) — adresse courriel invalide" in synced[0]

    page.get_by_role("link", name="Problèmes").click()
    expect(page.get_by_text("Aucune activité pour l'instant.")).to_be_visible()

    page.get_by_role("link", name="Désabonnements").click()
    assert len(rows(page)) == 20
    page.get_by_role("link", name="Plus anciennes").click()
    assert len(rows(page)) == 5
    page.get_by_role("link", name="Plus récentes").click()
    assert rows(page)[0].startswith("le 5\u00a0décembre 2026 à 21\u00a0h\u00a013")
    screenshot(page, "fr-activity-opt-outs")

    page.get_by_role("link", name="Retour à la page Infolettres").click()
    expect(page).to_have_url(f"{world.app_url}/tenants/salon/newsletters")


def test_the_keyboard_reaches_the_filters_and_the_pages(world: World, browse: Browse) -> None:
    seeded_salon(world)
    page = open_activity(world, browse)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText") == "Plus anciennes":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Plus récentes")).to_be_visible()


def test_the_owner_asks_why_a_client_is_not_in_mailchimp(world: World, browse: Browse) -> None:
    seeded_salon(world)
    page = browse()
    page.goto(json.loads(world.cli("owner-link", "salon", "--json").stdout)["url"])

    page.get_by_label("Adresse courriel ou numéro du client").fill("pas une adresse")
    page.get_by_role("button", name="Expliquer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ce client et MailChimp")
    expect(page.get_by_text("Client\u00a0: Zoé Roy (pas une adresse)")).to_be_visible()
    expect(
        page.get_by_text("« pas une adresse » n'est pas une adresse courriel valide", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Que faire")).to_be_visible()
    assert headings_in_order(heading_levels(page))
    screenshot(page, "fr-explain")
    page.get_by_role("link", name="Retour à la page Infolettres").click()
    expect(page).to_have_url(f"{world.app_url}/tenants/salon/newsletters")

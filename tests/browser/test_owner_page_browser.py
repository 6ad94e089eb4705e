"""The owner's Newsletters page in a real browser (Chromium, driven by Playwright): the owner
link, Autoriser through MailChimp (the simulator) and back, a client not sent and why, sync now,
disconnect and reconnect, a visitor who sees nothing, and basic accessibility. Each scenario
leaves full-page screenshots in build/browser-results/."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from support.browser import (
    Browse,
    heading_levels,
    headings_in_order,
    nameless_controls,
    screenshot,
    tab_order,
)
from support.harness import World, sample_rows

from calendarspots_mailchimp.ports.clock import FixedClock

ZOE = ("pas une adresse", "Zoé", "Roy", "")  # kept as a client, never sent to MailChimp


def owner_link(world: World, tenant: str = "salon") -> str:
    result = world.cli("owner-link", tenant, "--json")
    assert result.exit_code == 0, result.output
    link: str = json.loads(result.stdout)["url"]
    return link


def salon(world: World, connected: bool = True) -> None:
    """A French salon (a tenant's default locale) with four clients and one invalid address,
    its owner's MailChimp account ready to approve."""
    world.add_tenant("salon")
    world.import_rows("salon", [*sample_rows(4), ZOE])
    world.mailchimp()
    if connected:
        assert world.authorize("salon")["ok"] is True


def open_as_owner(world: World, browse: Browse, tenant: str = "salon", **kw: str) -> Page:
    page = browse(**kw)
    page.goto(owner_link(world, tenant))
    expect(page).to_have_url(f"{world.app_url}/tenants/{tenant}/newsletters")
    return page


def test_the_owner_authorizes_in_french_and_lands_back_connected(
    world: World, browse: Browse
) -> None:
    salon(world, connected=False)
    page = open_as_owner(world, browse)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Infolettres — Salon salon")
    expect(page.get_by_text("MailChimp n'est pas encore connecté.")).to_be_visible()
    screenshot(page, "fr-not-connected")

    page.get_by_role("button", name="Autoriser").click()

    # MailChimp (the simulator) approves and sends the owner back to the callback page.
    page.wait_for_url(f"{world.app_url}/oauth/mailchimp/callback?**")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("MailChimp est connecté")
    screenshot(page, "fr-callback")
    assert world.tenant().state == "connected"

    page.goto(f"{world.app_url}/tenants/salon/newsletters")
    expect(
        page.get_by_text("Connecté au compte MailChimp « Account of owner@example.com »")
    ).to_be_visible()
    for label in ("Vérifier et réparer", "Synchroniser maintenant", "Déconnecter"):
        expect(page.get_by_role("button", name=label)).to_be_visible()
    expect(page.get_by_role("button", name="Autoriser")).to_have_count(0)
    expect(page.get_by_text("Le webhook de MailChimp est en place.")).to_be_visible()
    screenshot(page, "fr-connected")


def test_a_client_with_an_invalid_address_is_listed_with_its_reason_in_french(
    world: World, browse: Browse
) -> None:
    salon(world)
    page = open_as_owner(world, browse)

    section = page.get_by_role("heading", name="Clients non envoyés à MailChimp")
    expect(section).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_text(
        [
            "Zoé Roy (pas une adresse) — adresse courriel invalide"
            "Corrigez l'adresse dans la fiche du client ; la prochaine synchronisation l'enverra."
        ]
    )
    expect(page.get_by_text("1\u00a0ignoré,", exact=False)).to_be_visible()  # 1: singular


def test_sync_now_is_refused_within_fifteen_minutes_then_runs(world: World, browse: Browse) -> None:
    salon(world)
    page = open_as_owner(world, browse)

    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Synchroniser maintenant").click()
    assert refused.value.status == 429  # the initial sync ran a moment ago
    expect(page.locator("body")).to_contain_text("15 min")
    screenshot(page, "fr-sync-refused")

    # Sixteen minutes later (the app's clock, not ours), the same button syncs.
    world.container.clock.override(FixedClock(datetime.now(UTC) + timedelta(minutes=16)))
    page.goto(f"{world.app_url}/tenants/salon/newsletters")
    page.get_by_role("button", name="Synchroniser maintenant").click()
    expect(page).to_have_url(f"{world.app_url}/tenants/salon/newsletters?done=sync")
    expect(page.get_by_role("status")).to_have_text("Synchronisation faite.")
    assert world.kinds().count("sync.succeeded") + world.kinds().count("sync.partial") == 2


def test_the_owner_disconnects_then_authorizes_again(world: World, browse: Browse) -> None:
    salon(world)
    page = open_as_owner(world, browse)

    page.get_by_role("button", name="Déconnecter").click()
    expect(page.get_by_role("status")).to_have_text("MailChimp est déconnecté.")
    expect(
        page.get_by_text("Vos clients restent dans votre base de données.", exact=False)
    ).to_be_visible()
    assert world.tenant().state == "disconnected"
    screenshot(page, "fr-disconnected")

    page.get_by_role("button", name="Autoriser").click()
    page.wait_for_url(f"{world.app_url}/oauth/mailchimp/callback?**")
    expect(page.get_by_role("heading", level=1)).to_have_text("MailChimp est connecté")
    page.goto(f"{world.app_url}/tenants/salon/newsletters")
    expect(page.get_by_role("button", name="Déconnecter")).to_be_visible()
    assert world.tenant().state == "connected"
    assert "authorization.disconnected" in world.kinds()


def test_a_visitor_without_the_session_sees_nothing_of_the_tenant(
    world: World, browse: Browse
) -> None:
    salon(world)
    link = owner_link(world)
    owner = browse()
    owner.goto(link)
    expect(owner.get_by_role("heading", level=1)).to_contain_text("Salon salon")

    visitor = browse()
    unknown = visitor.goto(f"{world.app_url}/tenants/nobody/newsletters")
    assert unknown is not None and unknown.status == 404
    nothing = unknown.text()
    answer = visitor.goto(f"{world.app_url}/tenants/salon/newsletters")
    assert answer is not None and (answer.status, answer.text()) == (404, nothing)
    # The owner's link, already used: it says so, and nothing of the tenant.
    answer = visitor.goto(link)
    assert answer is not None and answer.status == 410
    text = visitor.locator("body").inner_text()
    assert "Ce lien a déjà servi" in text
    assert "Salon" not in text and "@example.com" not in text and "Zoé" not in text
    # The activity page asks for authentication, the same for a real and an unknown tenant.
    answers = []
    for tenant in ("salon", "nobody"):
        answer = visitor.goto(f"{world.app_url}/tenants/{tenant}/activity?format=html")
        assert answer is not None
        answers.append((answer.status, answer.text()))
    assert answers[0] == answers[1] and answers[0][0] in (401, 404), answers
    posted = visitor.request.post(
        f"{world.app_url}/tenants/salon/newsletters/disconnect", form={"csrf": "x"}
    )
    assert posted.status == 404
    assert world.tenant().state == "connected"


def test_the_owner_who_opens_a_used_or_expired_link_is_told_what_to_do(
    world: World, browse: Browse
) -> None:
    """The owner opens the Newsletters link a second time on another device (their phone),
    and an authorization link after its 15 minutes: each says so in French, with what to do,
    and the page still passes the accessibility checks."""
    salon(world, connected=False)
    link = owner_link(world)
    computer = browse()
    computer.goto(link)
    expect(computer.get_by_role("heading", level=1)).to_have_text("Infolettres — Salon salon")

    phone = browse()
    answer = phone.goto(link)
    assert answer is not None and answer.status == 410
    expect(phone.locator("html")).to_have_attribute("lang", "fr")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ce lien a déjà servi")
    expect(phone.get_by_text("contactez notre équipe de support", exact=False)).to_be_visible()
    screenshot(phone, "fr-owner-link-used")
    assert headings_in_order(heading_levels(phone)) and nameless_controls(phone) == []

    # Back on the computer, the same link again: the session it opened is still good.
    computer.goto(link)
    expect(computer).to_have_url(f"{world.app_url}/tenants/salon/newsletters")

    start = world.start_link("salon")
    world.container.clock.override(FixedClock(datetime.now(UTC) + timedelta(minutes=16)))
    answer = phone.goto(start)
    assert answer is not None and answer.status == 404  # the contract's 404, with the page
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ce lien d'autorisation a expiré")
    expect(phone.get_by_text("n'est valable que 15 minutes", exact=False)).to_be_visible()
    screenshot(phone, "fr-start-link-expired")
    world.container.clock.reset_override()
    assert world.kinds() == [] and world.tenant().state == "not_connected"


def check_accessible(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert nameless_controls(page) == []
    levels = heading_levels(page)
    assert headings_in_order(levels), levels
    buttons = page.get_by_role("button").all_inner_texts()
    reached = tab_order(page)
    assert {f"BUTTON:{b.strip()}" for b in buttons} <= set(reached), reached


def test_the_pages_are_accessible_and_work_from_the_keyboard(world: World, browse: Browse) -> None:
    salon(world, connected=False)
    page = open_as_owner(world, browse)
    check_accessible(page, "fr")  # not connected: Autoriser

    world.authorize("salon")
    page.reload()
    check_accessible(page, "fr")  # connected: four buttons, the skipped client's h3

    # The keyboard alone: Tab to "Vérifier et réparer", Enter.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText") == "Vérifier et réparer":
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Vérification faite.")
    check_accessible(page, "fr")


def test_the_page_in_english_for_a_tenant_whose_locale_is_english(
    world: World, browse: Browse
) -> None:
    added = world.cli(
        "tenants",
        "add",
        "shop",
        "--name",
        "Shop Belle",
        "--timezone",
        "America/Toronto",
        "--locale",
        "en",
    )
    assert added.exit_code == 0, added.output
    world.import_rows("shop", [*sample_rows(4), ZOE])
    world.mailchimp()
    assert world.authorize("shop")["ok"] is True

    # The browser asks for German: neither French nor English, so the tenant's locale decides.
    page = open_as_owner(world, browse, "shop", locale="de-DE")
    expect(page.get_by_role("heading", level=1)).to_have_text("Newsletters — Shop Belle")
    expect(page.get_by_text("Connected to the MailChimp account", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Clients not sent to MailChimp")).to_be_visible()
    for label in ("Check and repair", "Sync now", "Disconnect"):
        expect(page.get_by_role("button", name=label)).to_be_visible()
    check_accessible(page, "en")
    screenshot(page, "en-connected")


def test_the_accessibility_checks_catch_what_they_look_for(browse: Browse) -> None:
    page = browse()
    page.set_content(
        '<html lang="fr"><body><h1>A</h1><h3>C</h3><button></button>'
        '<input type="text"><button tabindex="-1">Hors clavier</button>'
        "<button>Au clavier</button></body></html>"
    )
    assert nameless_controls(page) == ["- button", "- textbox"]
    assert not headings_in_order(heading_levels(page))
    assert headings_in_order([1, 2, 3, 2, 2, 3])
    assert not headings_in_order([2, 1]) and not headings_in_order([1, 2, 1])
    reached = tab_order(page)
    assert "BUTTON:Au clavier" in reached and "BUTTON:Hors clavier" not in reached

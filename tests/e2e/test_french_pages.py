"""French pages say nothing in English: the Newsletters page, "Voir l'activité" and the
callback page, in a sample of states (not connected, connected with a client skipped and
MailChimp's news, an audience missing a field, a revoked authorization, disconnected, a link
used twice, a refusal). People's names, addresses, MailChimp's own screen names and commands
are not sentences: they are taken out before looking."""

from __future__ import annotations

import httpx
from support.french import english_in
from support.harness import World, sample_rows
from support.waiting import eventually

HTML = {"Accept": "text/html"}


def french(world: World, path: str, **params: str) -> httpx.Response:
    admin = {**HTML, "Authorization": f"Bearer {world.settings.admin_token}"}
    page = httpx.get(f"{world.app_url}{path}", headers=admin, params=params, timeout=60)
    assert page.status_code == 200, page.text
    assert '<html lang="fr">' in page.text
    assert english_in(page.text) == [], english_in(page.text)
    return page


def pages(world: World, tenant: str = "salon") -> None:
    french(world, f"/tenants/{tenant}/newsletters")
    french(world, f"/tenants/{tenant}/activity", format="html", limit="100")


def test_the_check_finds_english() -> None:
    assert english_in("<p>La liste a été supprimée</p>") == []
    assert english_in("<p>Sync finished: 3 added</p>") != []
    assert english_in("<p>« Account of owner@example.com »</p>") == []


def test_not_connected_then_connected_with_news_from_mailchimp(world: World) -> None:
    world.add_tenant("salon")  # French is the default locale
    pages(world)
    world.import_rows("salon", [*sample_rows(5), ("pas une adresse", "Zoé", "Roy", "")])
    side = world.mailchimp()
    assert world.authorize("salon")["ok"] is True
    emails = sorted(world.members(side.list_id))
    world.sim.unsubscribe(side.list_id, emails[0], reason="abuse")
    world.sim.clean(side.list_id, emails[1], reason="hard")
    world.sim.update_profile(side.list_id, emails[2], merges={"FNAME": "Renommée"})
    world.sim.signup(side.list_id, "nouvelle@example.com", merges={"FNAME": "Nouvelle"})
    assert world.sim.wait_deliveries(timeout=10)
    # Webhook events are applied off their request: wait for the last one's effect.
    assert eventually(lambda: "mailchimp.subscribe.recorded" in world.kinds("salon"))
    page = french(world, "/tenants/salon/newsletters")
    assert "adresse courriel invalide" in page.text and "1\u00a0ignoré" in page.text
    activity = french(world, "/tenants/salon/activity", format="html", limit="100")
    assert "s&#x27;est désabonné" in activity.text and "Nouvel abonné" in activity.text


def test_an_audience_without_birthday_then_a_revoked_authorization(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp(with_birthday=False)
    with httpx.Client(timeout=60, follow_redirects=True) as browser:
        callback = browser.get(world.start_link("salon"), headers=HTML)
    assert "MailChimp est connecté, mais demande votre attention" in callback.text
    assert english_in(callback.text) == [], english_in(callback.text)
    page = french(world, "/tenants/salon/newsletters")
    assert "BIRTHDAY (Birthday, type birthday) manque" in page.text
    pages(world)
    assert world.cli("check", "salon", "--fix").exit_code == 0
    assert world.cli("sync", "salon").exit_code == 0
    world.sim.revoke_tokens(side.account_id)
    assert world.cli("sync", "salon").exit_code == 5
    page = french(world, "/tenants/salon/newsletters")
    assert "reconnectez-le" in page.text
    pages(world)


def test_disconnected_and_the_callback_s_refusals(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    assert world.authorize("salon")["ok"] is True
    assert world.cli("disconnect", "salon").exit_code == 0
    pages(world)
    link = world.start_link("salon")
    with httpx.Client(timeout=60) as browser:
        at_mailchimp = browser.get(browser.get(link).headers["location"])
        back = at_mailchimp.headers["location"]
        first = browser.get(back, headers=HTML)
        replayed = browser.get(back, headers=HTML)
        state = back.split("state=")[1].split("&")[0]
        denied = browser.get(
            f"{world.app_url}/oauth/mailchimp/callback",
            params={"state": state, "error": "access_denied"},
            headers={**HTML, "Accept-Language": "fr"},
        )
    for page in (first, replayed, denied):
        assert '<html lang="fr">' in page.text
        assert english_in(page.text) == [], english_in(page.text)
    assert "déjà servi" in replayed.text

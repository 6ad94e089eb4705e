"""The owner's Newsletters page over real HTTP: the one-use link, the session it leaves, the
page in the tenant's language, and its CSRF-protected actions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from support.harness import World, sample_rows

JSON = {"Accept": "application/json"}


def owner_link(world: World, tenant: str = "salon") -> str:
    result = world.cli("owner-link", tenant, "--json")
    assert result.exit_code == 0, result.output
    link: str = json.loads(result.stdout)["url"]
    return link


@contextmanager
def logged_in(world: World, tenant: str = "salon") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.app_url, timeout=60) as browser:
        opened = browser.get(owner_link(world, tenant))
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == f"/tenants/{tenant}/newsletters"
        yield browser


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def connected_salon(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", [*sample_rows(4), ("pas une adresse", "Zoé", "Roy", "")])
    world.mailchimp()
    assert world.authorize("salon")["ok"] is True  # the bad address is skipped, reported


def test_the_owner_link_opens_the_page_once_and_leaves_a_session_for_that_tenant(
    world: World,
) -> None:
    connected_salon(world)
    world.add_tenant("rival")
    link = owner_link(world)
    with httpx.Client(base_url=world.app_url, timeout=60) as browser:
        opened = browser.get(link)
        cookie = opened.headers["set-cookie"]
        assert opened.status_code == 303
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "path=/tenants/salon" in cookie.lower()
        page = browser.get("/tenants/salon/newsletters")
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text and "Salon salon" in page.text
        assert "Connecté au compte MailChimp" in page.text
        # The client not sent, by name and address, with the reason and what to do.
        assert "Zoé Roy (pas une adresse) — adresse courriel invalide" in page.text
        assert "Corrigez l&#x27;adresse dans la fiche du client" in page.text
        assert "Prochaine synchronisation" in page.text
        assert browser.get("/tenants/salon/activity", params={"format": "html"}).status_code == 200
        # The session is that tenant's only, even sent on purpose for another one.
        session = {"Cookie": f"csmc_owner={browser.cookies['csmc_owner']}"}
        rival = httpx.get(f"{world.app_url}/tenants/rival/newsletters", headers=session)
        assert rival.status_code == 404
        mine = httpx.get(f"{world.app_url}/tenants/salon/newsletters", headers=session)
        assert mine.status_code == 200
    assert httpx.get(link).status_code == 410  # one use, then told so (test_spent_links.py)
    nobody = httpx.get(f"{world.app_url}/tenants/salon/newsletters")
    unknown = httpx.get(f"{world.app_url}/tenants/nobody/newsletters")
    assert nobody.status_code == unknown.status_code == 404 and nobody.text == unknown.text


def test_the_page_as_json_for_the_admin_token(world: World) -> None:
    connected_salon(world)
    admin = {**JSON, "Authorization": f"Bearer {world.settings.admin_token}"}

    data = httpx.get(f"{world.app_url}/tenants/salon/newsletters", headers=admin).json()

    assert set(data) >= {
        "tenant",
        "name",
        "state",
        "account",
        "audience",
        "last_sync",
        "next_sync",
        "problems",
        "webhook",
        "double_opt_in",
    }
    assert (data["tenant"], data["state"], data["double_opt_in"]) == ("salon", "connected", False)
    assert data["audience"]["name"] == "calendarspots" and data["webhook"]["installed"] is True
    assert data["last_sync"]["status"] == "succeeded"
    assert [p["email"] for p in data["last_sync"]["problems"]] == ["pas une adresse"]
    assert data["next_sync"].endswith("-05:00")  # Montréal's local time


def test_actions_need_the_page_s_csrf_token_and_change_nothing_without_it(world: World) -> None:
    connected_salon(world)
    with logged_in(world) as browser:
        page = browser.get("/tenants/salon/newsletters")
        forged = browser.post("/tenants/salon/newsletters/double-opt-in", data={"on": "1"})
        stale = browser.post(
            "/tenants/salon/newsletters/double-opt-in", data={"on": "1", "csrf": "0" * 64}
        )
        assert forged.status_code == stale.status_code == 403
        assert world.tenant().double_opt_in is False

        turned = browser.post(
            "/tenants/salon/newsletters/double-opt-in", data={"on": "1", "csrf": csrf(page)}
        )
        assert turned.status_code == 303
        assert world.tenant().double_opt_in is True
        assert "Choix enregistré" in browser.get(turned.headers["location"]).text


def test_sync_now_at_most_every_fifteen_minutes_then_disconnect_and_authorize(
    world: World,
) -> None:
    connected_salon(world)
    with logged_in(world) as browser:
        token = csrf(browser.get("/tenants/salon/newsletters"))
        again = browser.post("/tenants/salon/newsletters/sync", data={"csrf": token})
        assert again.status_code == 429  # the initial sync ran a moment ago
        assert "15 minutes" in again.text and '<html lang="fr">' in again.text
        assert 'href="/tenants/salon/newsletters">Retour à la page Infolettres' in again.text

        gone = browser.post("/tenants/salon/newsletters/disconnect", data={"csrf": token})
        assert gone.status_code == 303
        assert world.tenant().state == "disconnected"
        page = browser.get("/tenants/salon/newsletters")
        assert "MailChimp est déconnecté" in page.text and ">Autoriser</button>" in page.text

        off_to = browser.post("/tenants/salon/newsletters/authorize", data={"csrf": csrf(page)})
        assert off_to.status_code == 303
        assert off_to.headers["location"].startswith(f"{world.sim_url}/oauth2/authorize?")


def test_the_callback_page_links_back_to_the_newsletters_page(world: World) -> None:
    world.add_tenant("salon")
    world.mailchimp()
    with httpx.Client(timeout=60, follow_redirects=True) as browser:
        page = browser.get(world.start_link("salon"))
    assert "MailChimp est connecté" in page.text
    assert 'href="/tenants/salon/newsletters">Retour à la page Infolettres</a>' in page.text


def test_a_tenant_needing_attention_reads_the_fix_in_french(world: World) -> None:
    from dataclasses import replace

    from calendarspots_mailchimp.core.model import ConnectionState

    connected_salon(world)
    english = "the audience 'calendarspots' lacks the merge field BIRTHDAY"
    for reason, fix in (
        (english, "La liste MailChimp n&#x27;a pas les champs attendus"),
        ("audience_gone", "La liste MailChimp «\u00a0calendarspots\u00a0» a disparu"),
    ):
        with world.uow() as uow:
            tenant = uow.tenants.get("salon")
            assert tenant is not None
            uow.tenants.save(replace(tenant).with_state(ConnectionState.NEEDS_ATTENTION, reason))
            uow.commit()
        with logged_in(world) as browser:
            page = browser.get("/tenants/salon/newsletters")
        assert fix in page.text and "Vérifier et réparer" in page.text
        assert english not in page.text and "audience_gone" not in page.text


def test_a_failed_last_sync_says_so_and_why_on_the_page(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(4))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"] is True
    world.sim.revoke_tokens(side.account_id)
    assert world.cli("sync", "salon").exit_code == 5  # the sync fails: access revoked

    with logged_in(world) as browser:
        page = browser.get("/tenants/salon/newsletters")

    assert page.status_code == 200
    alert = re.search(r'<p role="alert">([^<]+)</p>', page.text)
    assert alert is not None, page.text
    assert "La synchronisation a échoué" in alert.group(1), alert.group(1)
    assert "cliquez sur Reconnecter" in alert.group(1) and "revoked" not in alert.group(1)


def test_a_skipped_client_stays_listed_after_a_night_that_reads_only_the_changes(
    world: World,
) -> None:
    connected_salon(world)  # "pas une adresse" is skipped by the initial sync
    rows = sample_rows(4)
    rows[1] = (rows[1][0], "Renamed", rows[1][2], rows[1][3])
    world.import_rows("salon", [*rows, ("pas une adresse", "Zoé", "Roy", "")])  # as before

    report = world.sync_json("salon")  # reads only what changed since the initial sync

    assert report["counts"]["updated"] == 1 and report["counts"]["skipped"] == 1, report
    assert [p["email"] for p in report["problems"]] == ["pas une adresse"]
    with logged_in(world) as browser:
        html = browser.get("/tenants/salon/newsletters").text
    assert "Zoé Roy (pas une adresse)" in html, html


def test_sync_now_that_fails_says_so_not_sync_done(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(4))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"] is True
    world.sim.delete_list(side.list_id)  # the owner deleted the audience in MailChimp
    assert world.cli("sync", "salon").exit_code != 0  # a failed sync does not count

    with logged_in(world) as browser:
        token = csrf(browser.get("/tenants/salon/newsletters"))
        tried = browser.post("/tenants/salon/newsletters/sync", data={"csrf": token})
        assert tried.status_code == 303
        assert tried.headers["location"] == "/tenants/salon/newsletters?done=sync-failed"
        page = browser.get(tried.headers["location"]).text

    assert "La synchronisation n&#x27;a pas abouti" in page
    assert "Synchronisation faite" not in page

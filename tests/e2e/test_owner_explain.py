""" "Why isn't this client in MailChimp?" on the owner's page: the story in the tenant's language,
by address or client number, without the operator's parts; bad input answered clearly and
nothing changed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import httpx
import pytest
from support.harness import World, sample_rows

ZOE = ("pas une adresse", "Zoé", "Roy", "")
OPERATOR = ("cs-mailchimp", "ledger", "content", "R10", "UTC", "Traceback")


@contextmanager
def owner(world: World, tenant: str = "salon") -> Iterator[tuple[httpx.Client, str]]:
    link = json.loads(world.cli("owner-link", tenant, "--json").stdout)["url"]
    with httpx.Client(base_url=world.app_url, timeout=60) as browser:
        assert browser.get(link).status_code == 303
        page = browser.get(f"/tenants/{tenant}/newsletters")
        assert 'for="explain-client"' in page.text  # the form, its field labelled
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        yield browser, found.group(1)


def salon(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", [*sample_rows(2), ZOE])
    world.mailchimp()
    assert world.authorize("salon")["ok"] is True


def text(page: httpx.Response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", page.text.split("<body>")[1]))


def test_the_owner_asks_why_by_address_or_number_and_reads_it_in_french(world: World) -> None:
    salon(world)
    zoe = next(c for c in world.clients().values() if c.email == "pas une adresse")
    with owner(world) as (browser, csrf):
        for key in ("pas une adresse", zoe.client_id):
            page = browser.post(
                "/tenants/salon/newsletters/explain", data={"csrf": csrf, "client": key}
            )
            assert page.status_code == 200 and '<html lang="fr">' in page.text
            said = text(page)
            assert "Client\u00a0: Zoé Roy (pas une adresse)" in said
            assert "« pas une adresse » n'est pas une adresse courriel valide" in said
            assert "Corrigez le courriel dans la fiche du client" in said
            assert "L'ignore : adresse courriel invalide" in said
            assert not [w for w in OPERATOR if w in said]
        subscribed = browser.post(
            "/tenants/salon/newsletters/explain",
            data={"csrf": csrf, "client": "CLIENT0@example.com"},
        )
        said = text(subscribed)
        assert "Dans la liste MailChimp, abonné : l'infolettre lui parvient." in said
        assert "Rien à envoyer." in said and "Prénom0 D'Nom0" in said
        assert 'href="/tenants/salon/newsletters"' in subscribed.text


def test_an_english_tenant_reads_it_in_english_without_commands(world: World) -> None:
    world.cli("tenants", "add", "shop", "--name", "Shop", "--timezone", "UTC", "--locale", "en")
    world.import_rows("shop", [("new@example.com", "Ann", "Lee", "")])
    with owner(world, "shop") as (browser, csrf):
        page = browser.post(
            "/tenants/shop/newsletters/explain", data={"csrf": csrf, "client": "new@example.com"}
        )
    said = text(page)
    assert '<html lang="en">' in page.text and "Client: Ann Lee (new@example.com)" in said
    assert "Your business is not connected to MailChimp" in said
    assert "Click Authorize on the Newsletters page." in said
    assert "cs-mailchimp" not in said


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"client": ""}, 400, "Entrez l'adresse courriel ou le numéro du client."),
        ({"client": "nobody@example.com"}, 404, "Aucun client n'a cette adresse"),
        ({"client": "rival-client"}, 404, "Aucun client n'a cette adresse"),  # another tenant's
    ],
)
def test_bad_input_gets_a_clear_french_answer_and_changes_nothing(
    world: World, form: dict[str, str], status: int, words: str
) -> None:
    salon(world)
    world.add_tenant("rival")
    world.import_rows("rival", [("rival@example.com", "R", "V", "")])
    before = world.kinds()
    with owner(world) as (browser, csrf):
        answer = browser.post("/tenants/salon/newsletters/explain", data={"csrf": csrf, **form})
    assert answer.status_code == status and words in text(answer)
    assert '<html lang="fr">' in answer.text and "rival" not in answer.text.lower()
    assert world.kinds() == before


def test_without_the_page_s_token_or_a_session_nothing_is_told(world: World) -> None:
    salon(world)
    with owner(world) as (browser, _):
        forged = browser.post(
            "/tenants/salon/newsletters/explain", data={"client": "pas une adresse"}
        )
        stale = browser.post(
            "/tenants/salon/newsletters/explain",
            data={"client": "pas une adresse", "csrf": "0" * 64},
        )
    assert forged.status_code == stale.status_code == 403
    assert "Le formulaire a expiré" in text(stale) and "Zoé" not in stale.text
    nobody = httpx.post(
        f"{world.app_url}/tenants/salon/newsletters/explain", data={"client": "pas une adresse"}
    )
    unknown = httpx.post(
        f"{world.app_url}/tenants/nobody/newsletters/explain", data={"client": "x"}
    )
    assert nobody.status_code == unknown.status_code == 404 and nobody.text == unknown.text

"""Step definitions for features/**: the product owners' words, driven through the real CLI,
the real HTTP app and the bundled MailChimp simulator."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, then, when
from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.model import ConnectionState

ROWS = 20


@pytest.fixture
def ctx() -> dict[str, Any]:
    return {}


# -- Given -------------------------------------------------------------------------------------


@given(parsers.parse('une entreprise "{tenant}" dans le fuseau horaire "{tz}"'))
def a_tenant(world: World, ctx: dict[str, Any], tenant: str, tz: str) -> None:
    ctx["tenant"] = tenant
    world.add_tenant(tenant, tz)


@given(parsers.parse("{count:d} clients dans sa base de données clients"))
def some_clients(world: World, ctx: dict[str, Any], count: int) -> None:
    ctx["rows"] = sample_rows(count)
    world.import_rows(ctx["tenant"], ctx["rows"])


@given("l'entreprise a choisi de reconfirmer sa liste")
def double_opt_in(world: World, ctx: dict[str, Any]) -> None:
    with world.uow() as uow:
        tenant = uow.tenants.get(ctx["tenant"])
        assert tenant is not None
        uow.tenants.save(replace(tenant, double_opt_in=True))
        uow.commit()


@given(parsers.parse('un compte MailChimp avec une seule liste "{name}" complète'))
def complete_list(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = world.mailchimp(name, with_birthday=True)


@given(parsers.parse('un compte MailChimp avec une seule liste "{name}" sans le champ Birthday'))
def list_without_birthday(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = world.mailchimp(name, with_birthday=False)


@given(parsers.parse('un compte MailChimp dont la seule liste s\'appelle "{name}"'))
def near_miss_list(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = world.mailchimp(name, with_birthday=True)


@given(parsers.parse('un compte MailChimp avec deux listes "{name}"'))
def two_lists(world: World, ctx: dict[str, Any], name: str) -> None:
    side = world.mailchimp(name, with_birthday=True)
    second = world.sim.create_list(side.account_id, name=name, with_birthday=True)
    ctx["mc"] = side
    ctx["other_list"] = second.list_id


@given("le propriétaire a autorisé calendarspots.com")
def authorized(world: World, ctx: dict[str, Any]) -> None:
    result = world.authorize(ctx["tenant"])
    assert result["ok"], result
    world.sim.stats.reset()


@given(parsers.parse("{count:d} clients ont changé de prénom pendant la journée"))
def clients_changed(world: World, ctx: dict[str, Any], count: int) -> None:
    rows = list(ctx["rows"])
    for i in range(count):
        email, _first, last, birthday = rows[i]
        rows[i] = (email, f"Nouveau{i}", last, birthday)
    world.import_rows(ctx["tenant"], rows)


@given("le webhook ne joint plus calendarspots.com")
def webhook_unreachable(world: World, ctx: dict[str, Any]) -> None:
    side: MailChimpSide = ctx["mc"]
    for hook in world.sim.webhooks(side.list_id):
        world.sim.delete_webhook(side.list_id, hook["id"])


# -- When --------------------------------------------------------------------------------------


@when("le propriétaire clique sur Autoriser et confirme dans MailChimp")
def click_authorize(world: World, ctx: dict[str, Any]) -> None:
    world.sim.stats.reset()
    ctx["result"] = world.authorize(ctx["tenant"])


@when("le propriétaire clique sur Autoriser, confirme, puis recharge la page de retour")
def authorize_then_reload(world: World, ctx: dict[str, Any]) -> None:
    with httpx.Client(timeout=60) as browser:
        start = browser.get(world.start_link(ctx["tenant"]))
        back = browser.get(start.headers["location"]).headers["location"]
        first = browser.get(back, headers={"Accept": "application/json"})
        assert first.json()["ok"] is True, first.text
        ctx["reloaded"] = browser.get(back, headers={"Accept": "application/json"}).json()


@when(
    parsers.parse(
        "un inconnu ouvre la page d'autorisation de l'entreprise \"{tenant}\" sans lien ni session"
    )
)
def stranger_opens_start(world: World, ctx: dict[str, Any], tenant: str) -> None:
    start = f"{world.app_url}/oauth/mailchimp/start"
    ctx["answer"] = httpx.get(start, params={"tenant": tenant})
    ctx["nobody"] = httpx.get(start, params={"tenant": "entreprise-inconnue"})


@when("le propriétaire ouvre le lien donné par l'opérateur")
def owner_opens_operator_link(world: World, ctx: dict[str, Any]) -> None:
    ctx["link"] = world.start_link(ctx["tenant"])
    ctx["answer"] = httpx.get(ctx["link"])


@when("il ouvre ce lien une seconde fois")
def opens_link_again(world: World, ctx: dict[str, Any]) -> None:
    ctx["answer"] = httpx.get(ctx["link"])
    ctx["nobody"] = httpx.get(
        f"{world.app_url}/oauth/mailchimp/start", params={"tenant": "entreprise-inconnue"}
    )


@when(parsers.parse('l\'opérateur lance "{command}"'))
def operator_runs(world: World, ctx: dict[str, Any], command: str) -> None:
    ctx["cli"] = world.cli(*command.split())


@when("le propriétaire déconnecte MailChimp")
def owner_disconnects(world: World, ctx: dict[str, Any]) -> None:
    result = world.cli("disconnect", ctx["tenant"])
    assert result.exit_code == 0, result.output


@when("le propriétaire retire l'accès de calendarspots.com dans MailChimp")
def revoke(world: World, ctx: dict[str, Any]) -> None:
    world.sim.revoke_tokens(ctx["mc"].account_id)


@when(parsers.parse('la tâche de nuit passe à "{instant}"'))
def nightly_at(world: World, ctx: dict[str, Any], instant: str) -> None:
    world.sim.stats.reset()
    ctx["cli"] = world.cli("nightly", "--now", instant, "--json")
    assert ctx["cli"].exit_code == 0, ctx["cli"].output


@when("quelqu'un supprime le webhook dans MailChimp")
def delete_webhook(world: World, ctx: dict[str, Any]) -> None:
    side: MailChimpSide = ctx["mc"]
    hooks = world.sim.webhooks(side.list_id)
    assert len(hooks) == 1
    world.sim.delete_webhook(side.list_id, hooks[0]["id"])


@when(parsers.parse('quelqu\'un ajoute la source "{source}" au webhook dans MailChimp'))
def edit_webhook(world: World, ctx: dict[str, Any], source: str) -> None:
    side: MailChimpSide = ctx["mc"]
    hook = world.sim.webhooks(side.list_id)[0]
    sources = dict(hook["sources"])
    sources[source] = True
    world.sim.edit_webhook(side.list_id, hook["id"], sources=sources)


@when("quelqu'un supprime la liste dans MailChimp")
def delete_list(world: World, ctx: dict[str, Any]) -> None:
    world.sim.delete_list(ctx["mc"].list_id)


@when(parsers.parse('quelqu\'un renomme la liste "{name}" dans MailChimp'))
def rename_list(world: World, ctx: dict[str, Any], name: str) -> None:
    world.sim.rename_list(ctx["mc"].list_id, name)


@when(parsers.parse('"{email}" se désabonne dans MailChimp'))
def unsubscribe(world: World, ctx: dict[str, Any], email: str) -> None:
    world.sim.unsubscribe(ctx["mc"].list_id, email, reason="manual")


@when(parsers.parse('l\'adresse "{email}" est nettoyée par MailChimp'))
def cleaned(world: World, ctx: dict[str, Any], email: str) -> None:
    world.sim.clean(ctx["mc"].list_id, email, reason="hard")


@when(parsers.parse('"{email}" s\'abonne dans MailChimp avec le prénom "{first}"'))
def signup(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    world.sim.signup(ctx["mc"].list_id, email, merges={"FNAME": first})


@when(parsers.parse('"{email}" change son prénom en "{first}" dans MailChimp'))
def profile(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    world.sim.update_profile(ctx["mc"].list_id, email, merges={"FNAME": first})


# -- Then --------------------------------------------------------------------------------------


@then("un message confirme que la synchronisation a réussi")
def message_ok(ctx: dict[str, Any]) -> None:
    result = ctx["result"]
    assert result["status_code"] == 200
    assert result["ok"] is True, result
    assert "succeeded" in result["message"]


@then(parsers.parse('un message dit que la synchronisation a échoué en mentionnant "{text}"'))
def message_failed(ctx: dict[str, Any], text: str) -> None:
    result = ctx["result"]
    assert result["ok"] is False, result
    assert text in result["message"], result["message"]


@then(parsers.parse('la page rechargée dit "{text}"'))
def reloaded_page_says(ctx: dict[str, Any], text: str) -> None:
    assert ctx["reloaded"]["ok"] is False
    assert text in ctx["reloaded"]["message"], ctx["reloaded"]


@then(parsers.parse('le message propose "{command}"'))
def message_suggests(ctx: dict[str, Any], command: str) -> None:
    assert f"`{command}`" in ctx["result"]["message"], ctx["result"]["message"]


@then(parsers.parse('le message cite la liste "{name}"'))
def message_names_list(ctx: dict[str, Any], name: str) -> None:
    assert repr(name) in ctx["result"]["message"], ctx["result"]["message"]


@then("aucun contact n'a été envoyé à MailChimp")
def nothing_sent(world: World, ctx: dict[str, Any]) -> None:
    assert world.members(ctx["mc"].list_id) == {}
    if "other_list" in ctx:
        assert world.members(ctx["other_list"]) == {}


@then(parsers.parse('la liste compte {count:d} contacts "{status}"'))
def list_counts(world: World, ctx: dict[str, Any], count: int, status: str) -> None:
    members = world.members(ctx["mc"].list_id)
    assert len(members) == count
    assert {m["status"] for m in members.values()} == {status}


@then(parsers.parse('la liste a un seul webhook, qui ignore la source "{source}"'))
def one_webhook(world: World, ctx: dict[str, Any], source: str) -> None:
    hooks = world.sim.webhooks(ctx["mc"].list_id)
    assert len(hooks) == 1, hooks
    hook = hooks[0]
    assert hook["sources"][source] is False
    assert hook["sources"]["user"] and hook["sources"]["admin"]
    assert hook["events"]["unsubscribe"] and hook["events"]["cleaned"]
    assert hook["url"].startswith(world.app_url + "/webhooks/mailchimp/salon/")


@then("la liste n'a plus de webhook")
def no_webhook(world: World, ctx: dict[str, Any]) -> None:
    assert world.sim.webhooks(ctx["mc"].list_id) == []


@then("le jeton MailChimp est conservé chiffré")
def token_encrypted(world: World, ctx: dict[str, Any]) -> None:
    tokens = world.sim.tokens_of(ctx["mc"].account_id)
    with world.uow() as uow:
        stored = uow.scope(ctx["tenant"]).token.get()
    assert stored is not None
    assert all(token.encode() not in stored for token in tokens)
    assert world.box.decrypt(stored) in tokens


KINDS = r'(?P<kinds>"[^"]+"(?:(?:, | et | puis )"[^"]+")*)'


@then(parsers.re("le journal d'activité contient " + KINDS + "$"))
def activity_has(world: World, ctx: dict[str, Any], kinds: str) -> None:
    wanted = re.findall(r'"([^"]+)"', kinds)
    assert eventually(lambda: set(wanted) <= set(world.kinds(ctx["tenant"]))), world.kinds(
        ctx["tenant"]
    )


@then(parsers.parse('la liste a un champ "{tag}" de type "{kind}"'))
def list_has_field(world: World, ctx: dict[str, Any], tag: str, kind: str) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output
    fields = {f["tag"]: f["type"] for f in world.sim.merge_fields(ctx["mc"].list_id)}
    assert fields.get(tag) == kind, fields


@then("il reçoit la même réponse que pour une entreprise qui n'existe pas")
def same_as_unknown(ctx: dict[str, Any]) -> None:
    answer, nobody = ctx["answer"], ctx["nobody"]
    assert answer.status_code == nobody.status_code == 404
    assert answer.text == nobody.text and "location" not in answer.headers


@then("il arrive sur la page d'autorisation de MailChimp")
def lands_on_mailchimp(world: World, ctx: dict[str, Any]) -> None:
    assert ctx["answer"].status_code == 302
    assert ctx["answer"].headers["location"].startswith(f"{world.sim_url}/oauth2/authorize?")


@then("le journal d'activité est vide")
def activity_empty(world: World, ctx: dict[str, Any]) -> None:
    assert world.kinds(ctx["tenant"]) == []


@then(parsers.parse("l'entreprise est dans l'état \"{state}\""))
def tenant_state(world: World, ctx: dict[str, Any], state: str) -> None:
    assert world.tenant(ctx["tenant"]).state == ConnectionState(state)


@then("aucune synchronisation n'a lieu")
def no_sync(world: World, ctx: dict[str, Any]) -> None:
    import json

    data = json.loads(ctx["cli"].stdout)
    assert data["synced"] == []
    assert world.sim.stats.member_writes == 0


@then(parsers.parse("MailChimp a reçu exactement {count:d} contacts"))
def exactly_written(world: World, ctx: dict[str, Any], count: int) -> None:
    import json

    data = json.loads(ctx["cli"].stdout)
    assert [s["tenant"] for s in data["synced"]] == [ctx["tenant"]], data
    assert world.sim.stats.member_writes == count
    firsts = {m["merge_fields"]["FNAME"] for m in world.members(ctx["mc"].list_id).values()}
    assert {f"Nouveau{i}" for i in range(count)} <= firsts


@then(parsers.parse('la commande échoue en disant "{text}"'))
def command_failed(ctx: dict[str, Any], text: str) -> None:
    result = ctx["cli"]
    assert result.exit_code != 0
    assert text in result.output, result.output


@then(parsers.parse('le client "{email}" est "{status}" dans la base de données clients'))
def client_status(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    assert world.clients(ctx["tenant"])[email].newsletter.value == status


@then(
    parsers.parse(
        'en quelques secondes le client "{email}" est "{status}" dans la base de données clients'
    )
)
def client_status_soon(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    assert eventually(lambda: world.clients(ctx["tenant"])[email].newsletter.value == status)


@then(parsers.parse('le contact "{email}" est "{status}" dans MailChimp'))
def member_status(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output
    assert world.members(ctx["mc"].list_id)[email]["status"] == status


@then(parsers.parse('en quelques secondes le journal d\'activité contient "{kind}" avec "{text}"'))
def activity_with(world: World, ctx: dict[str, Any], kind: str, text: str) -> None:
    def found() -> bool:
        return any(
            text in str(e.details) or text in e.message for e in world.entries(ctx["tenant"], kind)
        )

    assert eventually(found), world.kinds(ctx["tenant"])


@then(parsers.parse("la base de données clients compte toujours {count:d} clients"))
def client_count(world: World, ctx: dict[str, Any], count: int) -> None:
    assert len(world.clients(ctx["tenant"])) == count


@then(parsers.parse('le client "{email}" a toujours le prénom "{first}"'))
def client_first_name(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    assert world.clients(ctx["tenant"])[email].first_name == first


@when(parsers.parse('en quelques secondes le journal d\'activité contient "{kind}"'))
def wait_for_kind(world: World, ctx: dict[str, Any], kind: str) -> None:
    assert eventually(lambda: kind in world.kinds(ctx["tenant"]))


@then(parsers.parse('"Voir l\'activité" montre en premier "{first}" puis "{second}"'))
def view_activity(world: World, ctx: dict[str, Any], first: str, second: str) -> None:
    response = httpx.get(
        f"{world.app_url}/tenants/{ctx['tenant']}/activity",
        headers={"Authorization": f"Bearer {world.settings.admin_token}"},
    )
    assert response.status_code == 200
    kinds = [e["kind"] for e in response.json()]
    assert kinds[0] == first, kinds
    assert second in kinds[1:], kinds
    stamps = [datetime.fromisoformat(e["at"]) for e in response.json()]
    assert stamps == sorted(stamps, reverse=True)
    html = httpx.get(
        f"{world.app_url}/tenants/{ctx['tenant']}/activity?lang=fr",
        headers={"Authorization": f"Bearer {world.settings.admin_token}", "Accept": "text/html"},
    )
    assert "Voir l&#x27;activité" in html.text or "Voir l'activité" in html.text


@then("\"Voir l'activité\" refuse un visiteur sans jeton d'administration")
def activity_refuses(world: World, ctx: dict[str, Any]) -> None:
    url = f"{world.app_url}/tenants/{ctx['tenant']}/activity"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401


@when(parsers.parse('"{old}" change son adresse pour "{new}" dans MailChimp'))
def change_address(world: World, ctx: dict[str, Any], old: str, new: str) -> None:
    world.sim.change_email(ctx["mc"].list_id, old, new)


@then(parsers.parse('MailChimp n\'a plus de contact "{email}"'))
def no_member(world: World, ctx: dict[str, Any], email: str) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output
    assert email not in world.members(ctx["mc"].list_id)


@then(parsers.parse('le client "{email}" est toujours dans la base de données clients'))
def still_a_client(world: World, ctx: dict[str, Any], email: str) -> None:
    assert email in world.clients(ctx["tenant"])

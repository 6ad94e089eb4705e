"""Step definitions for features/**: the product owner's words, driven through the real CLI,
the real HTTP app and the bundled MailChimp simulator.

The feature files speak French as a salon owner would; the internal codes they stand for
(activity kinds, MailChimp statuses, connection states, CLI commands) live here, in the
tables below. The French sentences asserted are the ones the owner's pages show
(entrypoints/messages.py, entrypoints/http/pages.py and owner_html.py), read from those pages.
tests/unit/test_feature_words.py keeps internal codes out of the feature files.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_bdd import given, parsers, then, when
from support.harness import MailChimpSide, World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.model import ConnectionState

# -- the owner's words and what they stand for -------------------------------------------------

CITIES = {
    "Montréal": "America/Montreal",
    "Paris": "Europe/Paris",
    "Vancouver": "America/Vancouver",
}

# "le journal d'activité dit que …": each phrase is one kind of activity entry.
ACTIVITY = {
    "l'accès a été autorisé": "authorization.granted",
    "le lien déjà utilisé a été refusé": "authorization.failed",
    "l'accès a été retiré dans MailChimp": "authorization.revoked",
    "MailChimp a été déconnecté": "authorization.disconnected",
    "la liste a été vérifiée": "check.passed",
    "la vérification de la liste a échoué": "check.failed",
    "les champs manquants ont été ajoutés": "check.fixed",
    "le webhook a été installé": "webhook.installed",
    "le webhook a été réparé": "webhook.repaired",
    "la synchronisation a réussi": "sync.succeeded",
    "la synchronisation a échoué": "sync.failed",
    "le client s'est désabonné": "contact.unsubscribed",
    "l'adresse a été déclarée invalide": "contact.cleaned",
    "des clients retirés de la plateforme ne sont plus synchronisés": "contact.removed",
}
# "le journal d'activité note …": what MailChimp told us and we only wrote down (R8).
NOTED = {
    "un nouvel abonné": "mailchimp.subscribe.recorded",
    "un changement de profil": "mailchimp.profile.recorded",
    "un changement d'adresse": "mailchimp.upemail.recorded",
}
# The rows of "Voir l'activité", by what the owner calls them.
ROWS_OF_ACTIVITY = {
    "le désabonnement": "contact.unsubscribed",
    "la synchronisation réussie": "sync.succeeded",
}

# A client's newsletter status in the client database.
CLIENT_STATUS = {
    "abonné": "subscribed",
    "désabonné": "unsubscribed",
    "adresse invalide": "cleaned",  # MailChimp cleaned it
}
# A contact's status in the MailChimp audience (docs/mailchimp-api.md), singular and plural.
MEMBER_STATUS = {
    "abonné": "subscribed",
    "désabonné": "unsubscribed",
    "adresse invalide": "cleaned",
    "archivé": "archived",
    "en attente de confirmation": "pending",
}
MEMBERS_STATUS = {
    "abonnés": "subscribed",
    "désabonnés": "unsubscribed",
    "aux adresses invalides": "cleaned",
    "archivés": "archived",
    "en attente de confirmation": "pending",
}

STATES = {
    "l'entreprise est reliée à MailChimp": ConnectionState.CONNECTED,
    "l'entreprise n'est toujours pas reliée à MailChimp": ConnectionState.NOT_CONNECTED,
    "l'entreprise doit autoriser MailChimp de nouveau": ConnectionState.NEEDS_REAUTHORIZATION,
    "la connexion à MailChimp demande l'attention du propriétaire": (
        ConnectionState.NEEDS_ATTENTION
    ),
    "MailChimp est déconnecté pour l'entreprise": ConnectionState.DISCONNECTED,
}

# Why the audience does not suit (R1, R2): the check's problem code stored with the activity
# entry, and the word the English sentence of that entry carries (as asserted before the
# feature files were French).
AUDIENCE_PROBLEMS = {
    "il faut créer une liste nommée exactement calendarspots": ("missing-audience", "create"),
    "il ne doit y avoir qu'une seule liste calendarspots": ("duplicate-audience", "only one"),
    "le champ Birthday manque": ("BIRTHDAY", "BIRTHDAY"),
    "une autre entreprise utilise déjà cette liste": ("shared-audience", "already used"),
}
# Why a sync the support team ran failed (R6): the word its report carries.
SYNC_FAILURES = {
    "la liste a été supprimée": "deleted",
    "la liste a été renommée": "renamed",
    "la liste est déjà utilisée par une autre entreprise": "already used by tenant",
}
FIELDS = {"Birthday": "BIRTHDAY", "Email": "EMAIL", "First Name": "FNAME", "Last Name": "LNAME"}
FIELD_TYPES = {"anniversaire": "birthday", "texte": "text", "courriel": "email"}

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

# The words the owner's pages say (entrypoints/http/pages.py, entrypoints/messages.py).
CONNECTED = "MailChimp est connecté"
CONNECTED_BUT = "MailChimp est connecté, mais demande votre attention"
AUDIENCE_UNSUITED = "MailChimp est connecté, mais la liste ne convient pas"
LINK_USED = "Ce lien d'autorisation a déjà servi"
OWNER_LINK_USED = "Ce lien a déjà servi"

ACCOUNT_NAME = "Compte du salon"
JSON = {"Accept": "application/json"}


def one_of(table: dict[str, Any], phrase: str) -> Any:
    assert phrase in table, f"unknown phrase {phrase!r}; the step knows: {sorted(table)}"
    return table[phrase]


def plain(html: str) -> str:
    """What a reader sees of an HTML fragment: no tags, no entities, plain spaces."""
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def landing(page: httpx.Response) -> dict[str, Any]:
    """The callback page the owner lands on: its heading and its message."""
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.text, re.S)
    message = re.search(r"</h1>\s*<p>(.*?)</p>", page.text, re.S)
    assert heading is not None and message is not None, page.text
    return {
        "status": page.status_code,
        "html": page.text,
        "heading": plain(heading.group(1)),
        "message": plain(message.group(1)),
    }


def forms(page: httpx.Response) -> dict[str, tuple[str, dict[str, str]]]:
    """The page's buttons: label → (action, hidden fields)."""
    found = {}
    for match in re.finditer(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S):
        action, body = match.groups()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))
        label = re.search(r"<button[^>]*>(.*?)</button>", body, re.S)
        assert label is not None, body
        found[plain(label.group(1))] = (
            unescape(action),
            {k: unescape(v) for k, v in fields.items()},
        )
    return found


def follow_to_callback(browser: httpx.Client, to_mailchimp: httpx.Response) -> dict[str, Any]:
    """From the redirect to MailChimp: the owner approves there and lands on the callback
    page, in a browser (HTML, the tenant's language)."""
    assert to_mailchimp.status_code in (302, 303), to_mailchimp.text
    at_mailchimp = browser.get(to_mailchimp.headers["location"])
    assert at_mailchimp.status_code == 302, at_mailchimp.text
    ctx_back = at_mailchimp.headers["location"]
    back = landing(browser.get(ctx_back, headers={"Accept": "text/html"}))
    back["url"] = ctx_back
    return back


@pytest.fixture
def ctx() -> Iterator[dict[str, Any]]:
    context: dict[str, Any] = {}
    yield context
    if "browser" in context:
        context["browser"].close()


# -- Given -------------------------------------------------------------------------------------


@given(parsers.parse('une entreprise "{tenant}" à l\'heure de {city}'))
def a_tenant(world: World, ctx: dict[str, Any], tenant: str, city: str) -> None:
    ctx["tenant"], ctx["tz"] = tenant, one_of(CITIES, city)
    world.add_tenant(tenant, ctx["tz"])


@given(parsers.parse("{count:d} clients dans sa base de données clients"))
def some_clients(world: World, ctx: dict[str, Any], count: int) -> None:
    ctx["rows"] = sample_rows(count)
    world.import_rows(ctx["tenant"], ctx["rows"])


@given(parsers.parse('un client "{name}" dont l\'adresse "{address}" est invalide'))
def a_client_with_a_bad_address(world: World, ctx: dict[str, Any], name: str, address: str) -> None:
    first, _, last = name.partition(" ")
    ctx["rows"] = [*ctx["rows"], (address, first, last, "")]
    world.import_rows(ctx["tenant"], ctx["rows"])


@given("l'entreprise a choisi d'archiver dans MailChimp les clients retirés de la plateforme")
def archive_removed(world: World, ctx: dict[str, Any]) -> None:
    with world.uow() as uow:
        tenant = uow.tenants.get(ctx["tenant"])
        assert tenant is not None
        uow.tenants.save(replace(tenant, archive_removed_clients=True))
        uow.commit()


@given(parsers.parse('le client "{email}" a été retiré de la plateforme'))
def client_removed(world: World, ctx: dict[str, Any], email: str) -> None:
    """The platform deletes the client the way the embedded directory records it (a
    tombstone), so the next night's read of what changed sees it go."""
    client = world.clients(ctx["tenant"])[email.lower()]
    assert world.container.directory().remove(ctx["tenant"], [client.client_id]) == 1


@given("l'entreprise a choisi de reconfirmer sa liste")
def double_opt_in(world: World, ctx: dict[str, Any]) -> None:
    with world.uow() as uow:
        tenant = uow.tenants.get(ctx["tenant"])
        assert tenant is not None
        uow.tenants.save(replace(tenant, double_opt_in=True))
        uow.commit()


def _mailchimp(world: World, list_name: str, with_birthday: bool) -> MailChimpSide:
    """The owner's MailChimp account (named as the owner named it) with one audience."""
    account = world.sim.create_account(login="proprietaire@example.com", account_name=ACCOUNT_NAME)
    audience = world.sim.create_list(
        account.account_id, name=list_name, with_birthday=with_birthday
    )
    world.sim.approve_as(account.account_id)
    return MailChimpSide(account.account_id, audience.list_id)


@given(parsers.parse('un compte MailChimp avec une seule liste "{name}" complète'))
def complete_list(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = _mailchimp(world, name, with_birthday=True)


@given(parsers.parse('un compte MailChimp avec une seule liste "{name}" sans le champ Birthday'))
def list_without_birthday(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = _mailchimp(world, name, with_birthday=False)


@given(parsers.parse('un compte MailChimp dont la seule liste s\'appelle "{name}"'))
def near_miss_list(world: World, ctx: dict[str, Any], name: str) -> None:
    ctx["mc"] = _mailchimp(world, name, with_birthday=True)


@given(parsers.parse('un compte MailChimp avec deux listes "{name}"'))
def two_lists(world: World, ctx: dict[str, Any], name: str) -> None:
    side = _mailchimp(world, name, with_birthday=True)
    second = world.sim.create_list(side.account_id, name=name, with_birthday=True)
    ctx["mc"] = side
    ctx["other_list"] = second.list_id


@given(
    parsers.parse(
        'une autre entreprise "{tenant}" à l\'heure de {city}, avec {count:d} clients dans sa '
        "base de données clients"
    )
)
def another_tenant(world: World, ctx: dict[str, Any], tenant: str, city: str, count: int) -> None:
    world.add_tenant(tenant, one_of(CITIES, city))
    world.import_rows(tenant, sample_rows(count, start=1000))  # none of the first one's


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


# -- When: the owner, a stranger, the support team ---------------------------------------------


@when("le propriétaire clique sur Autoriser et confirme dans MailChimp")
def click_authorize(world: World, ctx: dict[str, Any]) -> None:
    world.sim.stats.reset()
    with httpx.Client(timeout=60) as browser:
        ctx["back"] = follow_to_callback(browser, browser.get(world.start_link(ctx["tenant"])))


@when(
    parsers.parse(
        'le propriétaire de "{tenant}" clique sur Autoriser et se connecte au même compte MailChimp'
    )
)
def other_owner_authorizes_same_account(world: World, ctx: dict[str, Any], tenant: str) -> None:
    """The other business's owner logs into the account the first one authorized; from here
    on, the steps speak of that business."""
    world.sim.approve_as(ctx["mc"].account_id)
    ctx["first"], ctx["tenant"] = ctx["tenant"], tenant
    with httpx.Client(timeout=60) as browser:
        ctx["back"] = follow_to_callback(browser, browser.get(world.start_link(tenant)))


@when("le propriétaire clique sur Autoriser, confirme, puis recharge la page de retour")
def authorize_then_reload(world: World, ctx: dict[str, Any]) -> None:
    with httpx.Client(timeout=60) as browser:
        ctx["back"] = follow_to_callback(browser, browser.get(world.start_link(ctx["tenant"])))
        ctx["reloaded"] = landing(browser.get(ctx["back"]["url"], headers={"Accept": "text/html"}))


@when(
    parsers.parse(
        "un inconnu ouvre la page d'autorisation de l'entreprise \"{tenant}\" sans lien ni session"
    )
)
def stranger_opens_start(world: World, ctx: dict[str, Any], tenant: str) -> None:
    start = f"{world.app_url}/oauth/mailchimp/start"
    ctx["answer"] = httpx.get(start, params={"tenant": tenant})
    ctx["nobody"] = httpx.get(start, params={"tenant": "entreprise-inconnue"})


@when(
    parsers.parse(
        "un inconnu ouvre la page d'autorisation de l'entreprise \"{tenant}\" avec un lien inventé"
    )
)
def stranger_forges_a_link(world: World, ctx: dict[str, Any], tenant: str) -> None:
    start = f"{world.app_url}/oauth/mailchimp/start"
    forged = secrets.token_urlsafe(32)
    ctx["answer"] = httpx.get(start, params={"tenant": tenant, "link_token": forged})
    ctx["nobody"] = httpx.get(start, params={"tenant": "entreprise-inconnue", "link_token": forged})


@when(
    "un inconnu fait croire à calendarspots.com que le propriétaire a refusé l'accès dans MailChimp"
)
def stranger_fakes_a_refusal(world: World, ctx: dict[str, Any]) -> None:
    answer = httpx.get(
        f"{world.app_url}/oauth/mailchimp/callback",
        params={"state": secrets.token_urlsafe(32), "error": "access_denied"},
    )
    assert 400 <= answer.status_code < 500, answer.text


@when("le propriétaire ouvre le lien donné par l'équipe de support")
def owner_opens_support_link(world: World, ctx: dict[str, Any]) -> None:
    ctx["link"] = world.start_link(ctx["tenant"])  # `cs-mailchimp connect TENANT`
    ctx["answer"] = httpx.get(ctx["link"])


@when("il ouvre ce lien une seconde fois")
def opens_link_again(world: World, ctx: dict[str, Any]) -> None:
    ctx["answer"] = httpx.get(ctx["link"], headers={"Accept": "text/html"})  # a browser
    ctx["nobody"] = httpx.get(
        f"{world.app_url}/oauth/mailchimp/start", params={"tenant": "entreprise-inconnue"}
    )


@when("le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support")
def owner_opens_page(world: World, ctx: dict[str, Any]) -> None:
    result = world.cli("owner-link", ctx["tenant"], "--json")
    assert result.exit_code == 0, result.output
    browser = ctx["browser"] = httpx.Client(base_url=world.app_url, timeout=60)
    ctx["owner_link"] = json.loads(result.stdout)["url"]
    opened = browser.get(ctx["owner_link"])
    assert opened.status_code == 303, opened.text
    ctx["page"] = browser.get(opened.headers["location"])
    assert ctx["page"].status_code == 200, ctx["page"].text


@when("quelqu'un ouvre ce même lien dans un autre navigateur")
def link_in_another_browser(ctx: dict[str, Any]) -> None:
    ctx["answer"] = httpx.get(ctx["owner_link"])


@when("le propriétaire rouvre ce même lien dans son navigateur")
def link_again_in_own_browser(ctx: dict[str, Any]) -> None:
    ctx["answer"] = ctx["browser"].get(ctx["owner_link"])


def _press(ctx: dict[str, Any], label: str) -> httpx.Response:
    buttons = forms(ctx["page"])
    assert label in buttons, f"no button {label!r} on the page: {sorted(buttons)}"
    action, fields = buttons[label]
    return ctx["browser"].post(action, data=fields)


@when(parsers.parse("il clique sur « {label} »"))
def press(ctx: dict[str, Any], label: str) -> None:
    answer = _press(ctx, label)
    assert answer.status_code == 303, answer.text
    ctx["page"] = ctx["browser"].get(answer.headers["location"])
    assert ctx["page"].status_code == 200, ctx["page"].text


@when(parsers.parse("il clique sur « {label} » et confirme dans MailChimp"))
def press_and_approve(world: World, ctx: dict[str, Any], label: str) -> None:
    ctx["back"] = follow_to_callback(ctx["browser"], _press(ctx, label))


@when(
    parsers.parse('un visiteur sans le lien ouvre la page Infolettres de l\'entreprise "{tenant}"')
)
def visitor_opens_page(world: World, ctx: dict[str, Any], tenant: str) -> None:
    ctx["answer"] = httpx.get(f"{world.app_url}/tenants/{tenant}/newsletters")
    ctx["nobody"] = httpx.get(f"{world.app_url}/tenants/entreprise-inconnue/newsletters")


@when("l'équipe de support répare la liste")
def support_repairs(world: World, ctx: dict[str, Any]) -> None:
    ctx["cli"] = world.cli("check", ctx["tenant"], "--fix")


@when("l'équipe de support lance une synchronisation")
def support_syncs(world: World, ctx: dict[str, Any]) -> None:
    ctx["cli"] = world.cli("sync", ctx["tenant"])


@when(parsers.parse('l\'équipe de support lance une synchronisation de "{tenant}"'))
def support_syncs_tenant(world: World, ctx: dict[str, Any], tenant: str) -> None:
    ctx["cli"] = world.cli("sync", tenant)


@when("l'équipe de support lance une synchronisation complète")
def support_syncs_everything(world: World, ctx: dict[str, Any]) -> None:
    ctx["cli"] = world.cli("sync", ctx["tenant"], "--full")


@when("le propriétaire retire l'accès de calendarspots.com dans MailChimp")
def revoke(world: World, ctx: dict[str, Any]) -> None:
    world.sim.revoke_tokens(ctx["mc"].account_id)


@when(
    parsers.re(
        r"la tâche de nuit passe le (?P<day>\d+)(?:er)? (?P<month>\w+) (?P<year>\d{4}) "
        r"à (?P<hour>\d+) h (?P<minute>\d{2}), heure de l'entreprise"
    )
)
def nightly_at(
    world: World, ctx: dict[str, Any], day: str, month: str, year: str, hour: str, minute: str
) -> None:
    assert month in MONTHS, month
    local = datetime(
        int(year),
        MONTHS.index(month) + 1,
        int(day),
        int(hour),
        int(minute),
        tzinfo=ZoneInfo(ctx["tz"]),
    )
    world.sim.stats.reset()
    ctx["cli"] = world.cli("nightly", "--now", local.isoformat(), "--json")
    assert ctx["cli"].exit_code == 0, ctx["cli"].output


@when("quelqu'un supprime le webhook dans MailChimp")
def delete_webhook(world: World, ctx: dict[str, Any]) -> None:
    side: MailChimpSide = ctx["mc"]
    hooks = world.sim.webhooks(side.list_id)
    assert len(hooks) == 1
    world.sim.delete_webhook(side.list_id, hooks[0]["id"])


@when(
    "quelqu'un modifie le webhook dans MailChimp pour qu'il signale aussi les changements faits "
    "par calendarspots.com"
)
def edit_webhook(world: World, ctx: dict[str, Any]) -> None:
    side: MailChimpSide = ctx["mc"]
    hook = world.sim.webhooks(side.list_id)[0]
    sources = dict(hook["sources"])
    sources["api"] = True  # MailChimp's source for changes made through its API: ours
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


@when(parsers.parse("MailChimp nettoie l'adresse \"{email}\" parce qu'elle n'existe plus"))
def cleaned(world: World, ctx: dict[str, Any], email: str) -> None:
    world.sim.clean(ctx["mc"].list_id, email, reason="hard")  # a hard bounce


@when(parsers.parse('"{email}" s\'abonne dans MailChimp avec le prénom "{first}"'))
def signup(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    world.sim.signup(ctx["mc"].list_id, email, merges={"FNAME": first})


@when(parsers.parse('"{email}" change son prénom en "{first}" dans MailChimp'))
def profile(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    world.sim.update_profile(ctx["mc"].list_id, email, merges={"FNAME": first})


@when(parsers.parse('"{old}" change son adresse pour "{new}" dans MailChimp'))
def change_address(world: World, ctx: dict[str, Any], old: str, new: str) -> None:
    world.sim.change_email(ctx["mc"].list_id, old, new)


# -- Then: the callback page -------------------------------------------------------------------


@then(
    "la page de retour dit que MailChimp est connecté et que la synchronisation initiale a réussi"
)
def back_page_ok(ctx: dict[str, Any]) -> None:
    back = ctx["back"]
    assert back["status"] == 200, back
    assert back["heading"] == CONNECTED, back
    assert "la synchronisation initiale a réussi" in back["message"], back
    assert '<html lang="fr">' in back["html"]


@then(
    parsers.parse(
        "la page de retour dit que MailChimp est connecté, mais que la liste ne convient pas : "
        "{reason}"
    )
)
def back_page_audience_unsuited(world: World, ctx: dict[str, Any], reason: str) -> None:
    code, word = one_of(AUDIENCE_PROBLEMS, reason)
    back = ctx["back"]
    assert back["heading"] == CONNECTED_BUT, back
    assert back["message"].startswith(AUDIENCE_UNSUITED), back
    failed = world.entries(ctx["tenant"], "check.failed")  # worded in English
    assert any(
        any(code in str(p) for p in e.details.get("problems", [])) and word in e.message
        for e in failed
    ), [(e.details, e.message) for e in failed]


@then(parsers.parse('le message cite la liste "{name}"'))
def message_names_list(ctx: dict[str, Any], name: str) -> None:
    message = ctx["back"]["message"]
    assert repr(name) in message or f"« {name} »" in message, message


@then("le message propose de faire ajouter le champ manquant par l'équipe de support")
def message_suggests_fix(world: World, ctx: dict[str, Any]) -> None:
    command = f"`cs-mailchimp check {ctx['tenant']} --fix`"
    failed = world.entries(ctx["tenant"], "check.failed")
    assert any(command in e.message for e in failed), [e.message for e in failed]


@then("la page rechargée dit que ce lien d'autorisation a déjà servi")
def reloaded_page_says_used(ctx: dict[str, Any]) -> None:
    assert ctx["back"]["heading"] == CONNECTED, ctx["back"]
    reloaded = ctx["reloaded"]
    assert reloaded["heading"] == LINK_USED, reloaded
    assert "a déjà servi" in reloaded["message"], reloaded


@then("la page rechargée ne prétend pas que MailChimp n'est pas connecté")
def reloaded_page_does_not_deny(ctx: dict[str, Any]) -> None:
    said = plain(ctx["reloaded"]["html"])
    assert "n'est pas connecté" not in said and "déconnecté" not in said, said


# -- Then: the owner's Newsletters page --------------------------------------------------------


def _fresh_page(ctx: dict[str, Any]) -> httpx.Response:
    ctx["page"] = ctx["browser"].get(f"/tenants/{ctx['tenant']}/newsletters")
    assert ctx["page"].status_code == 200, ctx["page"].text
    return ctx["page"]


@then(parsers.parse('sa page Infolettres est en français, au nom de "{name}"'))
def page_in_french(ctx: dict[str, Any], name: str) -> None:
    page = ctx["page"].text
    assert '<html lang="fr">' in page
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert heading is not None and plain(heading.group(1)) == f"Infolettres — {name}", page


@then(parsers.re(r"(?:sa page Infolettres|elle) affiche : (?P<text>.+)$"))
def page_says(ctx: dict[str, Any], text: str) -> None:
    """The page as the owner finds it when they come back to it."""
    page = _fresh_page(ctx)
    assert text in plain(page.text), plain(page.text)


@then(parsers.re(r"la page affiche : (?P<text>.+)$"))
def page_says_now(ctx: dict[str, Any], text: str) -> None:
    """The page the owner's last click led to."""
    assert text in plain(ctx["page"].text), plain(ctx["page"].text)


@then(parsers.parse("elle donne l'heure de la dernière synchronisation à l'heure de {city}"))
def page_gives_local_time(ctx: dict[str, Any], city: str) -> None:
    page = plain(ctx["page"].text)
    data = ctx["browser"].get(f"/tenants/{ctx['tenant']}/newsletters", headers=JSON).json()
    at = datetime.fromisoformat(data["last_sync"]["at"]).astimezone(ZoneInfo(one_of(CITIES, city)))
    day = "1er" if at.day == 1 else str(at.day)
    said = f"le {day} {MONTHS[at.month - 1]} {at.year} à {at.hour} h {at.minute:02d}"
    assert "Dernière synchronisation" in page and said in page, (said, page)
    assert "UTC" not in page and "+00:00" not in page


@then(
    parsers.parse(
        'elle cite "{address}" parmi les clients non envoyés à MailChimp, avec la raison : {reason}'
    )
)
def page_lists_skipped(ctx: dict[str, Any], address: str, reason: str) -> None:
    page = ctx["page"].text
    assert "Clients non envoyés à MailChimp" in plain(page)
    items = [plain(li) for li in re.findall(r"<li>(.*?)</li>", page, re.S)]
    assert any(address in item and reason in item for item in items), items


@then(parsers.re(r"elle propose (?P<labels>«.+)$"))
def page_offers(ctx: dict[str, Any], labels: str) -> None:
    wanted = re.findall(r"«\s*([^»]+?)\s*»", labels)
    page = ctx["page"].text
    links = {plain(a) for a in re.findall(r"<a [^>]*>(.*?)</a>", page, re.S)}
    offered = set(forms(ctx["page"])) | links
    assert wanted and set(wanted) <= offered, (wanted, offered)


# -- Then: MailChimp's side ---------------------------------------------------------------------


@then("aucun contact n'a été envoyé à MailChimp")
def nothing_sent(world: World, ctx: dict[str, Any]) -> None:
    assert world.members(ctx["mc"].list_id) == {}
    if "other_list" in ctx:
        assert world.members(ctx["other_list"]) == {}


@then(parsers.re(r"la liste compte (?P<count>\d+) contacts (?P<status>.+)$"))
def list_counts(world: World, ctx: dict[str, Any], count: str, status: str) -> None:
    members = world.members(ctx["mc"].list_id)
    assert len(members) == int(count)
    assert {m["status"] for m in members.values()} == {one_of(MEMBERS_STATUS, status)}


@then("la liste a un seul webhook, qui ignore les changements faits par calendarspots.com")
def one_webhook(world: World, ctx: dict[str, Any]) -> None:
    hooks = world.sim.webhooks(ctx["mc"].list_id)
    assert len(hooks) == 1, hooks
    hook = hooks[0]
    assert hook["sources"]["api"] is False  # our own changes come through the API
    assert hook["sources"]["user"] and hook["sources"]["admin"]
    assert hook["events"]["unsubscribe"] and hook["events"]["cleaned"]
    assert hook["url"].startswith(world.app_url + f"/webhooks/mailchimp/{ctx['tenant']}/")


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


@then(parsers.parse("la liste a maintenant le champ {name}, de type {kind}"))
def list_has_field(world: World, ctx: dict[str, Any], name: str, kind: str) -> None:
    if "cli" in ctx:  # the support team's command went through
        assert ctx["cli"].exit_code == 0, ctx["cli"].output
    fields = {f["tag"]: f["type"] for f in world.sim.merge_fields(ctx["mc"].list_id)}
    assert fields.get(one_of(FIELDS, name)) == one_of(FIELD_TYPES, kind), fields


@then(parsers.parse('le contact "{email}" est {status} dans MailChimp'))
def member_status(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output
    assert world.members(ctx["mc"].list_id)[email]["status"] == one_of(MEMBER_STATUS, status)


@then(parsers.parse('MailChimp n\'a plus de contact "{email}"'))
def no_member(world: World, ctx: dict[str, Any], email: str) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output
    assert email not in world.members(ctx["mc"].list_id)


@then("aucune synchronisation n'a lieu")
def no_sync(world: World, ctx: dict[str, Any]) -> None:
    data = json.loads(ctx["cli"].stdout)
    assert data["synced"] == []
    assert world.sim.stats.member_writes == 0


@then(parsers.parse("MailChimp a reçu exactement {count:d} contacts"))
def exactly_written(world: World, ctx: dict[str, Any], count: int) -> None:
    data = json.loads(ctx["cli"].stdout)
    assert [s["tenant"] for s in data["synced"]] == [ctx["tenant"]], data
    assert world.sim.stats.member_writes == count
    firsts = {m["merge_fields"]["FNAME"] for m in world.members(ctx["mc"].list_id).values()}
    assert {f"Nouveau{i}" for i in range(count)} <= firsts


# -- Then: the business and its client database -----------------------------------------------


@then("il reçoit la même réponse que pour une entreprise qui n'existe pas")
def same_as_unknown(ctx: dict[str, Any]) -> None:
    answer, nobody = ctx["answer"], ctx["nobody"]
    assert answer.status_code == nobody.status_code == 404
    assert answer.text == nobody.text and "location" not in answer.headers


@then(
    parsers.re(
        r"la page dit que ce lien (?P<what>d'autorisation )?a déjà servi et qu'il faut en "
        r"demander un nouveau à l'équipe de support$"
    )
)
def told_link_used(ctx: dict[str, Any], what: str | None) -> None:
    """A link we issued, opened again: what to do, and nothing of the business (the
    authorization link: the contract's 404; the Newsletters link: 410)."""
    answer = ctx["answer"]
    assert answer.status_code == (404 if what else 410), answer.text
    page = landing(answer)
    assert page["heading"] == (LINK_USED if what else OWNER_LINK_USED), page
    said = plain(answer.text)
    assert "contactez notre équipe de support" in said, said
    assert "Salon" not in said and "MailChimp est connecté" not in said, said


@then("il retrouve sa page Infolettres")
def back_on_the_page(ctx: dict[str, Any]) -> None:
    answer = ctx["answer"]
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/tenants/{ctx['tenant']}/newsletters"
    assert ctx["browser"].get(answer.headers["location"]).status_code == 200


@then("il arrive sur la page d'autorisation de MailChimp")
def lands_on_mailchimp(world: World, ctx: dict[str, Any]) -> None:
    assert ctx["answer"].status_code == 302
    assert ctx["answer"].headers["location"].startswith(f"{world.sim_url}/oauth2/authorize?")


@then(parsers.re("(?P<phrase>" + "|".join(map(re.escape, STATES)) + ")$"))
def tenant_state(world: World, ctx: dict[str, Any], phrase: str) -> None:
    assert world.tenant(ctx["tenant"]).state == STATES[phrase]


@then(parsers.parse("la synchronisation échoue parce que {reason}"))
def sync_failed(ctx: dict[str, Any], reason: str) -> None:
    result = ctx["cli"]
    assert result.exit_code != 0
    assert one_of(SYNC_FAILURES, reason) in result.output, result.output


@then("la synchronisation réussit")
def sync_succeeded(ctx: dict[str, Any]) -> None:
    assert ctx["cli"].exit_code == 0, ctx["cli"].output


@then(parsers.parse('l\'entreprise "{tenant}" est toujours reliée à MailChimp'))
def still_connected(world: World, tenant: str) -> None:
    assert world.tenant(tenant).state == ConnectionState.CONNECTED


@then(parsers.parse('elle ne nomme pas l\'entreprise "{tenant}"'))
def page_does_not_name(world: World, ctx: dict[str, Any], tenant: str) -> None:
    said = plain(ctx["page"].text)
    assert tenant not in said and world.tenant(tenant).name not in said, said


@then(
    parsers.parse(
        "l'équipe de support voit qu'il faut à \"{tenant}\" son propre compte MailChimp, ou "
        'déconnecter "{other}"'
    )
)
def support_sees_the_fix(world: World, tenant: str, other: str) -> None:
    result = world.cli("status", tenant, "--json")
    assert result.exit_code == 0, result.output
    attention = json.loads(result.stdout)["attention"]
    shared = [a for a in attention if a["code"] == "audience_shared"]
    assert len(shared) == 1, attention
    assert f"`cs-mailchimp connect {tenant}`" in shared[0]["fix"], shared
    assert f"`cs-mailchimp disconnect {other}`" in shared[0]["fix"], shared
    assert f"tenant {other!r}" in shared[0]["why"], shared


@then(parsers.parse('la fiche du client "{email}" indique {status}'))
def client_status(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    wanted = one_of(CLIENT_STATUS, status)
    assert world.clients(ctx["tenant"])[email].newsletter.value == wanted


@then(parsers.parse('en quelques secondes la fiche du client "{email}" indique {status}'))
def client_status_soon(world: World, ctx: dict[str, Any], email: str, status: str) -> None:
    wanted = one_of(CLIENT_STATUS, status)
    assert eventually(lambda: world.clients(ctx["tenant"])[email].newsletter.value == wanted)


@then(parsers.parse("la base de données clients compte toujours {count:d} clients"))
def client_count(world: World, ctx: dict[str, Any], count: int) -> None:
    assert len(world.clients(ctx["tenant"])) == count


@then(parsers.parse('le client "{email}" a toujours le prénom "{first}"'))
def client_first_name(world: World, ctx: dict[str, Any], email: str, first: str) -> None:
    assert world.clients(ctx["tenant"])[email].first_name == first


@then(parsers.parse('le client "{email}" est toujours dans la base de données clients'))
def still_a_client(world: World, ctx: dict[str, Any], email: str) -> None:
    assert email in world.clients(ctx["tenant"])


# -- Then: the activity log ---------------------------------------------------------------------

SAYS = r"le journal d'activité dit qu(?:e |')(?P<phrases>.+)$"


def kinds_said(phrases: str) -> list[str]:
    """ "l'accès a été autorisé, que la liste a été vérifiée et que …" → the kinds."""
    parts = re.split(r",\s+qu(?:e\s+|')|\s+et\s+qu(?:e\s+|')", phrases)
    return [one_of(ACTIVITY, part.strip()) for part in parts]


@then(parsers.re(SAYS))
def activity_has(world: World, ctx: dict[str, Any], phrases: str) -> None:
    wanted = set(kinds_said(phrases))
    assert eventually(lambda: wanted <= set(world.kinds(ctx["tenant"]))), world.kinds(ctx["tenant"])


@when(parsers.re("en quelques secondes " + SAYS))
def wait_for_activity(world: World, ctx: dict[str, Any], phrases: str) -> None:
    wanted = set(kinds_said(phrases))
    assert eventually(lambda: wanted <= set(world.kinds(ctx["tenant"])))


@then("le journal d'activité est vide")
def activity_empty(world: World, ctx: dict[str, Any]) -> None:
    assert world.kinds(ctx["tenant"]) == []


@then(
    parsers.re(
        r"en quelques secondes le journal d'activité note (?P<what>.+), avec \"(?P<text>[^\"]+)\"$"
    )
)
def activity_notes(world: World, ctx: dict[str, Any], what: str, text: str) -> None:
    kind = one_of(NOTED, what)

    def found() -> bool:
        return any(
            text in str(e.details) or text in e.message for e in world.entries(ctx["tenant"], kind)
        )

    assert eventually(found), world.kinds(ctx["tenant"])


@then(parsers.re(r"« Voir l'activité » montre d'abord (?P<first>.+), puis (?P<second>.+)$"))
def view_activity(world: World, ctx: dict[str, Any], first: str, second: str) -> None:
    admin = {"Authorization": f"Bearer {world.settings.admin_token}"}
    url = f"{world.app_url}/tenants/{ctx['tenant']}/activity"
    response = httpx.get(url, headers=admin)
    assert response.status_code == 200
    kinds = [e["kind"] for e in response.json()]
    assert kinds[0] == one_of(ROWS_OF_ACTIVITY, first), kinds
    assert one_of(ROWS_OF_ACTIVITY, second) in kinds[1:], kinds
    stamps = [datetime.fromisoformat(e["at"]) for e in response.json()]
    assert stamps == sorted(stamps, reverse=True)
    html = httpx.get(url, params={"lang": "fr"}, headers={**admin, "Accept": "text/html"})
    assert "Voir l'activité" in plain(html.text)


@then("« Voir l'activité » reste fermé à un visiteur qui n'a pas l'accès d'administration")
def activity_refuses(world: World, ctx: dict[str, Any]) -> None:
    url = f"{world.app_url}/tenants/{ctx['tenant']}/activity"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401

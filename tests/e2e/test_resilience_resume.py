"""An onboarding cut short by a crash resumes within minutes (issue 11 point 8): the process
that handles the owner's return from MailChimp (the OAuth callback, which runs the initial
sync) is killed with SIGKILL between batches. Meanwhile `status` and the owner's page say the
first sync is in progress; the next `nightly`, minutes later and outside the tenant's night,
resumes it and completes it with no duplicate member."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
from support.harness import World, sample_rows
from support.processes import kill_mid_run, ledger_rows

from calendarspots_mailchimp.core.model import ConnectionState, SyncKind, SyncStatus
from calendarspots_mailchimp.entrypoints.http.owner_html import newsletters_page

TENANT = "salon"
CLIENTS = 3000
# What the server does when the owner lands back from MailChimp, in a process of its own.
CALLBACK = (
    "import sys; from calendarspots_mailchimp.entrypoints.container import runtime; "
    "runtime().connect_service().callback(sys.argv[1], sys.argv[2])"
)


def approved_callback(world: World) -> tuple[str, str]:
    """The owner approves on MailChimp; the code and state MailChimp sends back with them."""
    with httpx.Client(timeout=60) as browser:
        start = browser.get(world.start_link(TENANT))
        assert start.status_code == 302, start.text
        at_mailchimp = browser.get(start.headers["location"])
        assert at_mailchimp.status_code == 302, at_mailchimp.text
    query = parse_qs(urlsplit(at_mailchimp.headers["location"]).query)
    return query["code"][0], query["state"][0]


def outside_the_night(minutes_later: int) -> str:
    """A moment `minutes_later` from now, moved to 15:00 in the tenant's zone if now is in
    its night: the resume must not wait for the night."""
    moment = datetime.now(UTC) + timedelta(minutes=minutes_later)
    local = moment.astimezone(ZoneInfo("America/Montreal"))  # the harness's tenants' zone
    if local.hour < 6:
        moment += timedelta(hours=15 - local.hour)
    return moment.isoformat()


def test_an_onboarding_killed_mid_way_resumes_at_the_next_nightly_run(
    world: World, tmp_path: Path
) -> None:
    world.add_tenant(TENANT)
    side = world.mailchimp()
    world.import_rows(TENANT, sample_rows(CLIENTS))
    code, state = approved_callback(world)
    recorded = kill_mid_run(world, tmp_path, CALLBACK, [code, state], side.account_id, CLIENTS)

    # Meanwhile: connected, never synced, and every view says the first sync is under way.
    tenant = world.tenant(TENANT)
    assert tenant.state == ConnectionState.CONNECTED and tenant.last_sync_at is None
    status = world.cli("status", TENANT, "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["tenants"][0]["first_sync_in_progress"] is True
    assert "First sync in progress" in world.cli("status", TENANT).stdout
    page = world.container.owner_page().view(TENANT)
    assert page.as_json()["first_sync_in_progress"] is True
    html = newsletters_page(page, "fr", "csrf")
    assert "Première synchronisation en cours" in html
    assert "Aucune synchronisation pour l'instant" not in html

    world.sim.stats.reset()
    result = world.cli("nightly", "--now", outside_the_night(5), "--json")

    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(result.stdout)["synced"]
    assert outcome["tenant"] == TENANT and outcome["ok"], outcome
    assert world.sim.stats.member_writes == CLIENTS - recorded  # only the rest was sent
    members = world.sim.members(side.list_id)
    assert len(members) == CLIENTS
    assert len({m["email_address"].lower() for m in members}) == CLIENTS
    assert {m["status"] for m in members} == {"subscribed"}
    assert ledger_rows(world) == CLIENTS
    tenant = world.tenant(TENANT)
    assert tenant.last_sync_at is not None
    assert world.container.owner_page().view(TENANT).first_sync_in_progress is False
    with world.uow() as uow:
        runs = uow.scope(TENANT).runs.latest(3)
    resumed, killed = runs[0], runs[1]
    assert resumed.status == SyncStatus.SUCCEEDED
    assert killed.kind == SyncKind.INITIAL and killed.status == SyncStatus.FAILED
    assert "interrupted" in killed.message

    # Done: the next `nightly` outside the night finds nothing due.
    again = world.cli("nightly", "--now", outside_the_night(10), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["synced"] == []

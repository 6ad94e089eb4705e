"""The operator's CLI through typer's CliRunner: happy paths, `--json` shapes, exit codes and
the one-line `error: ...` on stderr (README: 2 bad input, 3 not found, 4 configuration,
5 not connected, 6 audience contract, 8 sync running, 11 sync failed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from support.harness import World, sample_rows
from support.waiting import eventually
from typer.testing import CliRunner, Result

from calendarspots_mailchimp.core.model import NewsletterStatus
from calendarspots_mailchimp.entrypoints.cli.main import app
from calendarspots_mailchimp.entrypoints.container import build_container
from calendarspots_mailchimp.simulator import Fault

ENTRY_KEYS = {"at", "kind", "message", "details"}


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def failed(result: Result, code: int, words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr, result.stderr


def connected(world: World, rows: int = 5) -> Any:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(rows))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.sim.stats.reset()
    return side


def use_settings(world: World, **changes: Any) -> None:
    """The CLI gets a container built from other settings (the served app keeps its own)."""
    world.container.mailchimp().close()
    world.container = build_container(replace(world.settings, **changes))


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_command(app))
SPEC_COMMANDS = {
    ("tenants", "add"),
    ("tenants", "list"),
    ("clients", "import"),
    ("clients", "list"),
    ("connect",),
    ("check",),
    ("sync",),
    ("nightly",),
    ("activity",),
    ("serve",),
    ("simulator",),
    ("demo",),
    ("status",),
    ("clients", "explain"),
}


def test_every_spec_command_exists() -> None:
    assert set(SPEC_COMMANDS) <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_a_help_text(path: tuple[str, ...]) -> None:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help.split()) >= 3, path
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.stdout.split())
    assert f"Usage: cs-mailchimp {' '.join(path)}" in shown
    assert " ".join(command.help.split()[:3]) in shown


def test_top_level_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("tenants", "clients", "connect", "check", "sync", "nightly", "activity", "demo"):
        assert name in result.stdout


def test_tenants_add_and_list(world: World) -> None:
    added = ok_json(
        world.cli(
            "tenants",
            "add",
            "salon",
            "--name",
            "Salon Belle",
            "--timezone",
            "Europe/Paris",
            "--json",
        )
    )
    assert added["tenant"] == "salon" and added["name"] == "Salon Belle"
    assert added["timezone"] == "Europe/Paris" and added["double_opt_in"] is False
    assert added["state"] == "not_connected" and added["list_name"] == "calendarspots"
    assert added["locale"] == "fr"  # Datedechoix.com's French unless told otherwise
    text = world.cli(
        "tenants", "add", "spa", "--name", "Spa", "--timezone", "Asia/Tokyo", "--double-opt-in"
    )
    assert (text.exit_code, text.stdout) == (0, "tenant spa added\n")
    listed = ok_json(world.cli("tenants", "list", "--json"))
    assert [(t["tenant"], t["double_opt_in"]) for t in listed] == [("salon", False), ("spa", True)]
    assert set(listed[0]) >= {"tenant", "name", "timezone", "state", "webhook_installed"}
    lines = world.cli("tenants", "list").stdout.splitlines()
    assert lines == [
        "salon\tSalon Belle\tEurope/Paris\tnot_connected",
        "spa\tSpa\tAsia/Tokyo\tnot_connected",
    ]


def test_tenants_add_refuses_bad_input(world: World) -> None:
    add = ("tenants", "add")
    failed(
        world.cli(*add, "salon", "--name", "S", "--timezone", "Mars/Olympus"),
        2,
        "unknown time zone 'Mars/Olympus'",
    )
    failed(world.cli(*add, "bad id!", "--name", "S", "--timezone", "UTC"), 2, "is not valid")
    failed(world.cli(*add, "salon", "--name", "  ", "--timezone", "UTC"), 2, "needs a name")
    assert world.cli(*add, "salon", "--name", "S", "--timezone", "UTC").exit_code == 0
    failed(world.cli(*add, "salon", "--name", "S", "--timezone", "UTC"), 3, "salon")
    missing = world.cli(*add, "spa", "--name", "S")  # typer's own usage error
    assert missing.exit_code == 2 and "--timezone" in missing.stderr
    assert world.cli("tenants", "list").stdout.splitlines() == ["salon\tS\tUTC\tnot_connected"]


def test_clients_list_shows_the_newsletter_status(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    world.container.client_store().set_newsletter(
        "salon", "client1@example.com", NewsletterStatus.UNSUBSCRIBED
    )
    listed = ok_json(world.cli("clients", "list", "salon", "--json"))
    assert [c["email"] for c in listed] == [f"client{i}@example.com" for i in range(3)]
    assert set(listed[0]) == {
        "client_id",
        "email",
        "first_name",
        "last_name",
        "birthday",
        "newsletter",
    }
    assert [c["newsletter"] for c in listed] == ["subscribed", "unsubscribed", "subscribed"]
    assert listed[0]["first_name"] == "Prénom0" and listed[0]["last_name"] == "D'Nom0"
    text = world.cli("clients", "list", "salon").stdout.splitlines()
    assert text[1] == "client1@example.com\tPrénom1\tD'Nom1\t1951-02-02\tunsubscribed"
    failed(world.cli("clients", "list", "nobody"), 3, "no tenant 'nobody'")


def test_connect_prints_a_one_use_start_link_and_its_expiry(world: World) -> None:
    world.add_tenant("salon")
    data = ok_json(world.cli("connect", "salon", "--json"))
    assert data["tenant"] == "salon" and data["uses"] == 1
    assert data["authorize_url"].startswith(world.app_url + "/oauth/mailchimp/start?tenant=salon&")
    expires = datetime.fromisoformat(data["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    text = world.cli("connect", "salon")
    assert text.stdout.startswith(world.app_url + "/oauth/mailchimp/start?")
    assert "One use, valid until" in text.stderr and "(15 minutes)" in text.stderr
    opened = httpx.get(text.stdout.strip())
    assert opened.status_code == 302
    assert opened.headers["location"].startswith(world.sim_url + "/oauth2/authorize?")
    assert "response_type=code" in opened.headers["location"]
    assert httpx.get(text.stdout.strip()).status_code == 404  # one use
    failed(world.cli("connect", "nobody"), 3, "no tenant 'nobody'")


def test_missing_configuration_exits_4(world: World) -> None:
    world.add_tenant("salon")
    use_settings(world, client_id="", secret_key="")
    failed(world.cli("connect", "salon"), 4, "CS_MAILCHIMP_CLIENT_ID is not set")
    use_settings(world, secret_key="")
    failed(world.cli("connect", "salon"), 4, "CS_MAILCHIMP_SECRET_KEY is not set")


def test_commands_that_need_mailchimp_say_when_not_connected(world: World) -> None:
    world.add_tenant("salon")
    for args in (("check", "salon"), ("sync", "salon"), ("sync", "salon", "--dry-run")):
        failed(world.cli(*args), 5, "cs-mailchimp connect salon")
    failed(world.cli("check", "nobody"), 3, "no tenant 'nobody'")
    failed(world.cli("sync", "nobody", "--json"), 3, "no tenant 'nobody'")


def test_check_reports_and_fixes_only_the_missing_fields(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(4))
    side = world.mailchimp(with_birthday=False)
    result = world.authorize("salon")
    assert result["ok"] is False and "BIRTHDAY" in result["message"]
    fields_before = world.sim.merge_fields(side.list_id)
    members_before = world.members(side.list_id)
    hooks_before = world.sim.webhooks(side.list_id)
    world.sim.stats.reset()

    failed(world.cli("check", "salon"), 6, "BIRTHDAY")
    as_json = world.cli("check", "salon", "--json")
    assert as_json.exit_code == 6
    data = json.loads(as_json.stdout)
    assert data["ok"] is False and data["fixed"] == [] and data["problems"]
    assert world.sim.merge_fields(side.list_id) == fields_before  # no --fix: nothing made

    fixed = ok_json(world.cli("check", "salon", "--fix", "--json"))
    assert fixed["ok"] is True and fixed["fixed"] == ["BIRTHDAY"]
    assert fixed["audience_id"] == side.list_id and fixed["problems"] == []
    fields = {f["tag"]: f["type"] for f in world.sim.merge_fields(side.list_id)}
    assert fields["BIRTHDAY"] == "birthday"
    assert [f for f in world.sim.merge_fields(side.list_id) if f["tag"] != "BIRTHDAY"] == (
        fields_before
    )
    assert world.members(side.list_id) == members_before
    assert world.sim.webhooks(side.list_id) == hooks_before
    assert world.sim.stats.member_writes == 0
    writes = {k: v for k, v in world.sim.stats.requests.items() if k[0] != "GET"}
    assert writes == {("POST", "/3.0/lists/{list_id}/merge-fields"): 1}
    again = world.cli("check", "salon")
    assert again.exit_code == 0 and again.stdout.startswith("ok: ")
    assert "check.fixed" in world.kinds("salon")


def test_sync_dry_run_shows_the_plan_and_changes_nothing(world: World) -> None:
    side = connected(world, rows=5)
    world.sim.unsubscribe(side.list_id, "client4@example.com")
    assert world.sim.wait_deliveries(timeout=10)
    # The webhook is applied (off its request) before the snapshot.
    assert eventually(lambda: "contact.unsubscribed" in world.kinds("salon"))
    rows = sample_rows(6)
    rows[1] = (rows[1][0], "Renamed", rows[1][2], rows[1][3])
    rows[4] = (rows[4][0], "Gone", rows[4][2], rows[4][3])
    world.import_rows("salon", rows)  # client5 is new
    with world.uow() as uow:
        ledger_before = uow.scope("salon").ledger.get_many(f"c{i:06d}" for i in range(6))
    kinds_before = world.kinds("salon")
    world.sim.stats.reset()

    text = world.cli("sync", "salon", "--dry-run")
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0].startswith("Dry run: would send: 1 added, 1 updated")
    assert "  would create: client5@example.com" in text.stdout
    assert "  would update: client1@example.com" in text.stdout
    assert "  would skip: client4@example.com: unsubscribed in MailChimp" in text.stdout
    data = ok_json(world.cli("sync", "salon", "--dry-run", "--json"))
    assert data["dry_run"] is True and data["status"] == "succeeded"
    assert data["plan"]["create"] == ["client5@example.com"]
    assert data["plan"]["update"] == ["client1@example.com"]
    assert data["counts"]["skipped"] == 1 and data["counts"]["unchanged"] == 3

    assert world.sim.stats.member_writes == 0
    assert all(method == "GET" for method, _ in world.sim.stats.requests)
    with world.uow() as uow:
        assert uow.scope("salon").ledger.get_many(f"c{i:06d}" for i in range(6)) == ledger_before
    assert world.kinds("salon") == kinds_before
    assert "client5@example.com" not in world.members(side.list_id)


def test_sync_and_full_sync(world: World) -> None:
    side = connected(world, rows=5)
    data = ok_json(world.cli("sync", "salon", "--json"))
    assert set(data) >= {"tenant", "kind", "status", "dry_run", "counts", "message", "problems"}
    assert (data["kind"], data["status"], data["dry_run"]) == ("manual", "succeeded", False)
    assert data["counts"]["unchanged"] == 5 and world.sim.stats.member_writes == 0
    full = ok_json(world.cli("sync", "salon", "--full", "--json"))
    assert full["kind"] == "full" and full["counts"]["updated"] == 5
    assert world.sim.stats.member_writes == 5 and len(world.members(side.list_id)) == 5
    text = world.cli("sync", "salon")
    assert text.exit_code == 0 and text.stdout.startswith("Sync finished: 0 added")


def test_sync_failures_exit_6_and_a_held_lease_exits_8(world: World) -> None:
    side = connected(world, rows=2)
    with world.uow() as uow:
        now = world.clock.now()
        assert uow.scope("salon").leases.acquire("someone-else", now, now + timedelta(minutes=5))
        uow.commit()
    failed(world.cli("sync", "salon"), 8, "being synced by another process")
    with world.uow() as uow:
        uow.scope("salon").leases.release("someone-else")
        uow.commit()
    world.sim.rename_list(side.list_id, "renamed")
    failed(world.cli("sync", "salon"), 6, "calendarspots")
    data = json.loads(world.cli("sync", "salon", "--json").stdout)
    assert data["status"] == "failed"
    assert world.kinds("salon")[0] == "sync.failed"


def test_nightly(world: World) -> None:
    connected(world, rows=3)
    failed(world.cli("nightly", "--now", "yesterday"), 2, "not an ISO-8601")
    day = ok_json(world.cli("nightly", "--now", "2031-03-10T12:00:00-04:00", "--json"))
    assert day == {"now": "2031-03-10T16:00:00+00:00", "synced": [], "attention": []}
    night = ok_json(world.cli("nightly", "--now", "2031-03-11T04:30:00-04:00", "--json"))
    assert [s["tenant"] for s in night["synced"]] == ["salon"]
    assert night["synced"][0]["ok"] is True and night["synced"][0]["counts"]["unchanged"] == 3
    again = world.cli("nightly", "--now", "2031-03-11T04:50:00-04:00")
    assert (again.exit_code, again.stdout) == (0, "no tenant is due\n")


def test_activity(world: World) -> None:
    connected(world, rows=2)
    entries = ok_json(world.cli("activity", "salon", "--json"))
    assert all(set(e) == ENTRY_KEYS for e in entries)
    assert [e["kind"] for e in entries][-1] == "authorization.granted"
    assert entries[0]["kind"] == "sync.succeeded"
    assert entries == sorted(entries, key=lambda e: e["at"], reverse=True)
    two = ok_json(world.cli("activity", "salon", "--limit", "2", "--json"))
    assert two == entries[:2]
    text = world.cli("activity", "salon", "--limit", "1").stdout.splitlines()
    assert len(text) == 1 and "sync.succeeded" in text[0]
    only = ok_json(world.cli("activity", "salon", "--kind", "check.passed", "--json"))
    assert [e["kind"] for e in only] == ["check.passed"]
    failed(world.cli("activity", "salon", "--limit", "0"), 2, "limit must be between")
    failed(world.cli("activity", "nobody"), 3, "no tenant 'nobody'")
    world.add_tenant("quiet")
    assert world.cli("activity", "quiet").stdout == "no activity yet\n"


def test_mailchimp_errors_exit_10(world: World) -> None:
    connected(world, rows=1)
    use_settings(world, max_retries=0)
    world.sim.inject_fault(Fault(status=503, path_prefix="/3.0/lists", method="GET"))
    failed(world.cli("check", "salon"), 10, "error: ")
    assert world.sim.faults.pending() == []
    assert world.cli("check", "salon").exit_code == 0


def cli_with(settings: Any, *args: str) -> Result:
    """The CLI on a container of its own (not the world's), built from these settings."""
    from calendarspots_mailchimp.entrypoints.container import use_runtime

    use_runtime(build_container(settings))
    try:
        return CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        use_runtime(None)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("foo://bar", "CS_MAILCHIMP_DATABASE_URL: the database foo://bar cannot be opened"),
        ("mysql://someone@127.0.0.1/x", "CS_MAILCHIMP_DATABASE_URL: the database mysql://"),
        ("sqlite:////no/such/folder/x.db", "unable to open database file"),
        ("postgresql://someone:hunter2@127.0.0.1:1/nowhere", "someone:***@127.0.0.1:1"),
        ("oracle://someone:hunter2@db.example/x", "oracle://someone:***@db.example/x"),
        ("mssql://someone@db.example/x", "cannot be opened"),
        ("postgresql://someone:hunter2@127.0.0.1:abc/x", "cannot be used (the port is not a"),
        ("postgresql://someone@127.0.0.1:99999/x", "port 99999 is not between 1 and 65535"),
        ("postgresql://someone@127.0.0.1:0/x", "port 0 is not between 1 and 65535"),
        ("://nothing", "CS_MAILCHIMP_DATABASE_URL cannot be used"),
    ],
)
def test_a_database_url_that_cannot_be_used_is_a_configuration_error(
    world: World, url: str, words: str
) -> None:
    result = cli_with(replace(world.settings, database_url=url), "tenants", "list")
    failed(result, 4, words)
    assert "CS_MAILCHIMP_DATABASE_URL" in result.stderr
    assert "hunter2" not in result.output


@pytest.mark.parametrize("command", ["serve", "simulator"])
def test_a_port_in_use_is_one_line_and_exit_4(world: World, command: str) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = world.cli(command, "--port", port)
    failed(result, 4, f"cannot listen on 127.0.0.1:{port}")
    assert "simulator: account" not in result.stdout  # nothing announced that did not start
    out_of_range = world.cli(command, "--port", "99999")
    assert out_of_range.exit_code == 2
    assert "65535" in out_of_range.output


def console_script(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cs-mailchimp ARGS` as a person types it, on a database of its own."""
    script = Path(sys.executable).parent / "cs-mailchimp"
    env = {**os.environ, "CS_MAILCHIMP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["activity", "salon", "--limit", "abc"], "Invalid value for '--limit'"),
        (["tenants", "add", "x"], "Missing option '--name'"),
        (["sync"], "Missing argument 'tenant'"),
        (["nosuchcmd"], "No such command 'nosuchcmd'"),
        (["sync", "salon", "--bogus"], "No such option: --bogus"),
    ],
)
def test_usage_errors_are_one_line_from_the_console_script(
    tmp_path: Path, args: list[str], words: str
) -> None:
    """SPEC: failures exit non-zero with a one-line reason on stderr — usage errors too."""
    done = console_script(tmp_path, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert words in done.stderr
    assert "--help`" in done.stderr


@pytest.mark.parametrize(("args", "usage"), [([], "cs-mailchimp"), (["db"], "cs-mailchimp db")])
def test_no_command_prints_the_help_from_the_console_script(
    tmp_path: Path, args: list[str], usage: str
) -> None:
    """The program or a group given no command: its help on stdout, no error line, exit 2."""
    done = console_script(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr == ""
    assert f"Usage: {usage} [OPTIONS] COMMAND [ARGS]..." in done.stdout


def test_db_upgrade_says_what_it_did(world: World, tmp_path: Path) -> None:
    from calendarspots_mailchimp.adapters.persistence.database import Database

    fresh = replace(world.settings, database_url=f"sqlite:///{tmp_path}/fresh.db")
    assert cli_with(fresh, "db", "upgrade").stdout.strip() == (
        "database schema created (revision 0006)"
    )
    assert cli_with(fresh, "db", "upgrade").stdout.strip() == (
        "database schema is up to date (revision 0006)"
    )
    old_url = f"sqlite:///{tmp_path}/old.db"
    old = Database(old_url)
    old.upgrade("0001")
    old.dispose()
    result = cli_with(replace(world.settings, database_url=old_url), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "database schema upgraded from revision 0001 to 0006"


def test_tenants_add_takes_a_locale_fr_or_en(world: World) -> None:
    english = ok_json(
        world.cli(
            "tenants",
            "add",
            "spa",
            "--name",
            "Spa",
            "--timezone",
            "UTC",
            "--locale",
            "en",
            "--json",
        )
    )
    assert english["locale"] == "en"
    failed(
        world.cli("tenants", "add", "x", "--name", "X", "--timezone", "UTC", "--locale", "de"),
        2,
        "locale 'de' is not one of: fr, en",
    )
    assert [t["tenant"] for t in ok_json(world.cli("tenants", "list", "--json"))] == ["spa"]


def test_disconnect_removes_the_webhook_forgets_the_token_and_connect_works_again(
    world: World,
) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(3))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    assert len(world.sim.webhooks(side.list_id)) == 1

    gone = ok_json(world.cli("disconnect", "salon", "--json"))

    assert gone == {"tenant": "salon", "state": "disconnected", "webhooks_removed": 1, "error": ""}
    assert world.sim.webhooks(side.list_id) == []
    assert len(world.clients("salon")) == 3 and len(world.members(side.list_id)) == 3
    assert world.tenant().state == "disconnected"
    assert world.kinds()[0] == "authorization.disconnected"
    failed(world.cli("sync", "salon"), 5, "not connected to MailChimp")
    failed(world.cli("disconnect", "salon"), 5, "not connected to MailChimp")
    failed(world.cli("disconnect", "nobody"), 3, "no tenant 'nobody'")

    again = world.authorize("salon")

    assert again["ok"] is True, again
    assert world.tenant().state == "connected"
    assert len(world.sim.webhooks(side.list_id)) == 1


def test_a_mass_change_is_held_exit_12_until_sync_confirm(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(40))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.import_rows("salon", [(e, "Blank", last, b) for e, _, last, b in sample_rows(12)])

    held = world.cli("sync", "salon", "--json")

    assert held.exit_code == 12, held.output
    report = json.loads(held.stdout)
    assert report["status"] == "held" and report["held"]["updates"] == 12
    assert (
        "Held by the mass-change guard: 12 of 40 members would be updated (30 %"
        in report["message"]
    )
    assert "cs-mailchimp sync salon --confirm" in held.stderr
    assert all(m["merge_fields"]["FNAME"] != "Blank" for m in world.members(side.list_id).values())
    dry = ok_json(world.cli("sync", "salon", "--dry-run", "--json"))
    assert dry["plan"]["held"][0].startswith("Held by the mass-change guard")

    released = ok_json(world.cli("sync", "salon", "--confirm", "--json"))

    assert released["status"] == "succeeded" and released["counts"]["updated"] == 12
    blank = [
        m for m in world.members(side.list_id).values() if m["merge_fields"]["FNAME"] == "Blank"
    ]
    assert len(blank) == 12
    kinds = world.kinds()
    assert kinds[0] == "sync.succeeded" and "sync.held" in kinds


def test_a_tenants_own_guard_thresholds_are_set_shown_and_respected(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(40))
    side = world.mailchimp()
    assert world.authorize("salon")["ok"]
    world.import_rows("salon", [(e, "Blank", last, b) for e, _, last, b in sample_rows(12)])

    loose = world.cli("tenants", "set", "salon", "--guard-update-percent", "35")
    assert loose.exit_code == 0, loose.output
    assert "update more than 35.0 % (its own) or archive more than 5.0 % (the setting)" in (
        loose.stdout
    )
    report = ok_json(world.cli("sync", "salon", "--dry-run", "--json"))
    assert "held" not in report["plan"] or not report["plan"]["held"]

    strict = ok_json(world.cli("tenants", "set", "salon", "--guard-update-percent", "25", "--json"))
    assert (strict["guard_update_percent"], strict["guard_archive_percent"]) == (25.0, None)
    held = world.cli("sync", "salon", "--json")
    assert held.exit_code == 12, held.output
    assert json.loads(held.stdout)["held"]["update_limit"] == 25.0

    back = ok_json(world.cli("tenants", "set", "salon", "--guard-update-percent", "35", "--json"))
    assert back["guard_update_percent"] == 35.0
    assert ok_json(world.cli("sync", "salon", "--json"))["counts"]["updated"] == 12
    blank = [
        m for m in world.members(side.list_id).values() if m["merge_fields"]["FNAME"] == "Blank"
    ]
    assert len(blank) == 12
    default = ok_json(
        world.cli("tenants", "set", "salon", "--guard-update-percent", "default", "--json")
    )
    assert default["guard_update_percent"] is None


def test_tenants_set_refuses_bad_thresholds(world: World) -> None:
    world.add_tenant("salon")

    for value in ("0", "101", "lots", "nan"):
        result = world.cli("tenants", "set", "salon", "--guard-archive-percent", value)
        assert result.exit_code == 2, (value, result.output)
        assert result.stderr.startswith("error: ")
    nothing = world.cli("tenants", "set", "salon")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    assert world.cli("tenants", "set", "nobody", "--guard-update-percent", "30").exit_code == 3
    assert world.tenant().guard_archive_percent is None

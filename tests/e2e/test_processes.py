"""Real processes: `cs-mailchimp serve` and `cs-mailchimp simulator` as subprocesses on free
loopback ports, the operator's commands as subprocesses, the owner's browser as httpx."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.databases import fresh_database
from support.waiting import wait_for

from calendarspots_mailchimp.entrypoints.http.server import free_port

CLI = str(Path(sys.executable).with_name("cs-mailchimp"))
CLIENTS = 5_000


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [CLI, *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Operator:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def clients_csv(path: Path, count: int) -> Path:
    lines = ["email,first_name,last_name,birthday,client_id"]
    for i in range(count):
        birthday = "" if i % 7 == 0 else f"19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f'client{i}@example.com,Zoé{i},"D\'Amour, {i}",{birthday},C{i:05d}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_serve_and_simulator_as_real_processes(tmp_path: Path) -> None:
    sim_port, app_port = free_port(), free_port()
    sim_url, app_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{app_port}"
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(tmp_path))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CS_MAILCHIMP_")},
            "CS_MAILCHIMP_DATABASE_URL": database_url,
            "CS_MAILCHIMP_OAUTH_BASE_URL": sim_url,
            "CS_MAILCHIMP_CLIENT_ID": "process-client",
            "CS_MAILCHIMP_CLIENT_SECRET": secrets.token_urlsafe(16),
            "CS_MAILCHIMP_PUBLIC_URL": app_url,
            "CS_MAILCHIMP_SECRET_KEY": secrets.token_urlsafe(32),
            "CS_MAILCHIMP_ADMIN_TOKEN": secrets.token_urlsafe(16),
        }
        operator = Operator(env, tmp_path)
        # The schema first, so the server does not race the CLI to create it.
        assert operator.run("db", "upgrade").returncode == 0
        stack.enter_context(
            running(["simulator", "--port", str(sim_port)], env, tmp_path, tmp_path / "sim.log")
        )
        stack.enter_context(
            running(["serve", "--port", str(app_port)], env, tmp_path, tmp_path / "serve.log")
        )
        wait_for(lambda: answers(f"{sim_url}/_sim/state"), 20, "the simulator")
        wait_for(lambda: answers(f"{app_url}/health"), 20, "the plugin's server")

        added = operator.run(
            "tenants", "add", "salon", "--name", "Salon Belle", "--timezone", "America/Montreal"
        )
        assert added.returncode == 0, added.stderr
        imported = operator.json(
            "clients", "import", "salon", str(clients_csv(tmp_path / "c.csv", CLIENTS))
        )
        assert (imported["added"], imported["skipped"]) == (CLIENTS, 0)

        sim = httpx.Client(base_url=sim_url, timeout=30)
        stack.callback(sim.close)
        [account] = sim.get("/_sim/state").json()["accounts"]
        [audience] = account["lists"]
        assert audience["name"] == "calendarspots" and audience["members"] == 0
        assert sim.post("/_sim/stats/reset").status_code == 200

        with httpx.Client(timeout=120) as browser:
            link = operator.json("connect", "salon")["authorize_url"]
            start = browser.get(link)
            assert start.status_code == 302 and start.headers["location"].startswith(sim_url)
            approve = browser.get(start.headers["location"])
            assert approve.status_code == 302
            assert approve.headers["location"].startswith(f"{app_url}/oauth/mailchimp/callback?")
            back = browser.get(approve.headers["location"], headers={"Accept": "application/json"})
        assert back.status_code == 200 and back.json()["ok"] is True, back.text

        list_id = audience["list_id"]
        members = sim.get(f"/_sim/lists/{list_id}/members").json()["members"]
        emails = sorted(m["email_address"] for m in members)
        assert emails == sorted(f"client{i}@example.com" for i in range(CLIENTS))
        assert {m["status"] for m in members} == {"subscribed"}
        stats = sim.get("/_sim/stats").json()
        calls = {(r["method"], r["route"]): r["count"] for r in stats["requests"]}
        # List and member endpoints: the API root, the audience list, its merge fields, batch
        # subscribe (500 a call), the members read and, after an onboarding push, the two reads
        # of the opt-outs made during it (unsubscribed, cleaned); webhook calls on top.
        list_and_member_calls = sum(
            count for (_method, route), count in calls.items() if "/webhooks" not in route
        )
        assert calls[("POST", "/3.0/lists/{list_id}")] == CLIENTS // 500
        assert list_and_member_calls <= 16, calls
        assert stats["total_api_requests"] <= 18, calls
        assert len(sim.get(f"/_sim/lists/{list_id}/webhooks").json()["webhooks"]) == 1

        leaving = "client42@example.com"
        assert sim.post(f"/_sim/lists/{list_id}/unsubscribe", json={"email": leaving}).is_success

        def logged_out() -> bool:
            # The activity entry commits last, after the client directory is marked.
            entries = operator.json("activity", "salon", "--limit", "10")
            return entries[0]["kind"] == "contact.unsubscribed"

        wait_for(logged_out, 30, f"{leaving}'s unsubscribe to be applied")
        listed = operator.json("clients", "list", "salon")
        assert next(c for c in listed if c["email"] == leaving)["newsletter"] == "unsubscribed"

        # A bounce comes back as cleaned; a profile edit and a new subscriber are only logged.
        bounced = "client43@example.com"
        assert sim.post(f"/_sim/lists/{list_id}/clean", json={"email": bounced}).is_success
        edited = "client44@example.com"
        profile = {"email": edited, "merges": {"FNAME": "Renamed"}}
        assert sim.post(f"/_sim/lists/{list_id}/profile", json=profile).is_success
        newcomer = {"email": "newcomer@example.com", "merges": {"FNAME": "Nadia"}}
        assert sim.post(f"/_sim/lists/{list_id}/signup", json=newcomer).is_success

        def logged() -> bool:
            kinds = {e["kind"] for e in operator.json("activity", "salon", "--limit", "10")}
            wanted = {"contact.cleaned", "mailchimp.profile.recorded"}
            return wanted | {"mailchimp.subscribe.recorded"} <= kinds

        wait_for(logged, 30, "the cleaned, profile and subscribe deliveries")
        listed = {c["email"]: c for c in operator.json("clients", "list", "salon")}
        assert listed[bounced]["newsletter"] == "cleaned"
        assert listed[edited]["first_name"] != "Renamed"
        assert "newcomer@example.com" not in listed
        assert len(listed) == CLIENTS

        # MailChimp retries a delivery it thinks failed: the same event applies once.
        deliveries = sim.get("/_sim/deliveries").json()["deliveries"]
        unsubscribe = next(d for d in deliveries if d.get("type") == "unsubscribe")
        before = len(operator.json("activity", "salon", "--limit", "100"))
        form = dict(unsubscribe["payload"])
        again = httpx.post(unsubscribe["url"], data=form, timeout=10)
        assert again.status_code == 200
        assert len(operator.json("activity", "salon", "--limit", "100")) == before


@pytest.mark.slow
def test_demo_runs_and_prints_the_activity(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CS_MAILCHIMP_")}
    env.update(TMPDIR=str(tmp_path), COLUMNS="120")
    done = subprocess.run(
        [CLI, "demo"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "View activity" in out
    for kind in (
        "authorization.granted",
        "check.passed",
        "webhook.installed",
        "sync.succeeded",
        "contact.unsubscribed",
        "contact.cleaned",
        "mailchimp.profile.recorded",
    ):
        assert kind in out, kind
    assert "demo finished" in out
    # Step 4 reads the client database once MailChimp's webhooks are applied (not before).
    told = " ".join(out.split())
    assert re.search(r"Client database: \S+ → unsubscribed, \S+ → cleaned", told), told
    assert "Traceback" not in done.stderr

"""Every JSON body our MailChimp adapter sends during connect, check --fix, syncs (email
changes, carried consent) and webhook installs/repairs validates against the official
Marketing API request schemas (the subset in tests/data/mailchimp-openapi-subset.json)."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from pathlib import Path
from typing import Any

import httpx
from dependency_injector import providers
from support.harness import World, sample_rows

from calendarspots_mailchimp.adapters.mailchimp.connector import HttpMailChimpConnector

# tests/simulator is not a package: load the validator by path (as its own test does).
_spec = importlib.util.spec_from_file_location(
    "openapi_bodies", Path(__file__).parents[1] / "simulator" / "openapi_bodies.py"
)
assert _spec is not None and _spec.loader is not None
openapi_bodies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openapi_bodies)


class Recorder(httpx.BaseTransport):
    """Real HTTP to the simulator, keeping a copy of each request."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str, str, bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with self.lock:
            self.sent.append(
                (request.method, request.url.path, request.headers.get("content-type", ""), body)
            )
        return self.inner.handle_request(request)


def _templates() -> list[tuple[re.Pattern[str], str]]:
    paths: dict[str, Any] = openapi_bodies.load_spec()["paths"]
    found = [(re.compile(re.sub(r"\{[^}/]+\}", "[^/]+", p) + "$"), p) for p in paths]
    # The most literal template wins (/lists/{id}/merge-fields over /lists/{id}/{x}).
    return sorted(found, key=lambda t: -len(re.sub(r"\{[^}]+\}", "", t[1])))


def template_of(path: str) -> str:
    api_path = path.removeprefix("/3.0") or "/"
    for pattern, template in TEMPLATES:
        if pattern.match(api_path):
            return template
    raise AssertionError(
        f"{path} is not an operation in tests/data/mailchimp-openapi-subset.json"
        " (a new MailChimp call? see tests/data/README.md)"
    )


TEMPLATES = _templates()


def test_every_request_body_matches_the_marketing_api(world: World) -> None:
    recorder = Recorder()
    try:
        drive(world, recorder)
    finally:
        recorder.inner.close()
    check(recorder)


def drive(world: World, recorder: Recorder) -> None:
    settings = world.settings
    world.container.mailchimp.override(
        providers.Object(
            HttpMailChimpConnector(
                settings.oauth_base_url,
                settings.client_id,
                settings.client_secret,
                max_retries=2,
                transport=recorder,
            )
        )
    )
    world.add_tenant("salon")
    rows = sample_rows(30)
    world.import_rows("salon", rows)
    side = world.mailchimp(with_birthday=False)

    assert world.authorize("salon")["ok"] is False  # BIRTHDAY is missing
    assert world.cli("check", "salon", "--fix").exit_code == 0  # creates it
    assert world.cli("sync", "salon", "--full").exit_code == 0  # installs the webhook
    world.sim.unsubscribe(side.list_id, rows[1][0])
    assert world.sim.wait_deliveries(timeout=10)
    hook = world.sim.webhooks(side.list_id)[0]
    world.sim.edit_webhook(side.list_id, hook["id"], sources={**hook["sources"], "api": True})
    changed = list(rows)
    changed[0] = ("moved0@example.com", *rows[0][1:])  # an email change follows the member
    changed[1] = ("moved1@example.com", *rows[1][1:])  # an opted-out one is carried
    changed[2] = (rows[2][0], "Renamed", *rows[2][2:])
    world.import_rows("salon", changed)
    sync = world.cli("sync", "salon", "--json")
    assert sync.exit_code == 0, sync.output
    assert json.loads(sync.stdout)["counts"]["failed"] == 0


def check(recorder: Recorder) -> None:
    api = [r for r in recorder.sent if r[1].startswith("/3.0")]
    assert api, recorder.sent
    seen: set[tuple[str, str]] = set()
    for method, path, content_type, body in api:
        template = template_of(path)
        seen.add((method, template))
        data = json.loads(body) if body else None
        if data is not None:
            assert content_type.startswith("application/json"), (method, path, content_type)
        problems = openapi_bodies.validate_request(method, template, data)
        assert problems == [], (method, path, data, problems)
    assert {
        ("POST", "/lists/{list_id}/merge-fields"),
        ("POST", "/lists/{list_id}/webhooks"),
        ("PATCH", "/lists/{list_id}/webhooks/{webhook_id}"),  # an edited webhook put right
        ("POST", "/lists/{list_id}"),
        ("PATCH", "/lists/{list_id}/members/{subscriber_hash}"),
        ("PUT", "/lists/{list_id}/members/{subscriber_hash}"),
    } <= seen, sorted(seen)
    oauth = [r for r in recorder.sent if r[1] == "/oauth2/token"]
    assert oauth and all(r[2] == "application/x-www-form-urlencoded" for r in oauth)

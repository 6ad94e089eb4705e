"""The Marketing API route table: its names are what /_sim/stats reports, so they are pinned."""

from __future__ import annotations

import httpx
import pytest

from calendarspots_mailchimp.simulator import SimList, Simulator
from calendarspots_mailchimp.simulator.api import API_ROUTES, match_route
from calendarspots_mailchimp.simulator.api_routes import Call, Context, RouteTable

LIST = "/3.0/lists/{list_id}"
MEMBER = LIST + "/members/{subscriber_hash}"
EXPECTED_ROUTES = {
    ("GET", "/3.0/"),
    ("GET", "/3.0/ping"),
    ("GET", "/3.0/lists"),
    ("POST", "/3.0/lists"),
    ("GET", LIST),
    ("POST", LIST),
    ("PATCH", LIST),
    ("DELETE", LIST),
    ("GET", LIST + "/members"),
    ("POST", LIST + "/members"),
    ("GET", MEMBER),
    ("PUT", MEMBER),
    ("PATCH", MEMBER),
    ("DELETE", MEMBER),
    ("POST", MEMBER + "/actions/delete-permanent"),
    ("GET", LIST + "/merge-fields"),
    ("POST", LIST + "/merge-fields"),
    ("GET", LIST + "/merge-fields/{merge_id}"),
    ("PATCH", LIST + "/merge-fields/{merge_id}"),
    ("DELETE", LIST + "/merge-fields/{merge_id}"),
    ("GET", LIST + "/webhooks"),
    ("POST", LIST + "/webhooks"),
    ("GET", LIST + "/webhooks/{webhook_id}"),
    ("PATCH", LIST + "/webhooks/{webhook_id}"),
    ("DELETE", LIST + "/webhooks/{webhook_id}"),
}


def test_route_table_is_pinned_and_has_no_duplicates() -> None:
    assert len(API_ROUTES) == len(EXPECTED_ROUTES)
    assert set(API_ROUTES) == EXPECTED_ROUTES


async def _handler(ctx: Context, call: Call) -> tuple[int, object]:
    return 204, None


def test_a_route_cannot_be_declared_twice() -> None:
    first, second = RouteTable(), RouteTable()
    first.route("GET", "/3.0/ping")(_handler)
    with pytest.raises(ValueError, match=r"declared twice: GET /3\.0/ping"):
        first.route("GET", "/3.0/ping")(_handler)
    second.route("GET", "/3.0/ping")(_handler)
    with pytest.raises(ValueError, match="declared twice"):
        RouteTable.joined(first, second)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/3.0", ("/3.0/", {}, False)),
        ("GET", "/3.0/", ("/3.0/", {}, False)),
        ("GET", "/3.0/lists/", ("/3.0/lists", {}, False)),
        ("POST", "/3.0/lists/abc", (LIST, {"list_id": "abc"}, False)),
        (
            "POST",
            "/3.0/lists/abc/members/x%40y/actions/delete-permanent",
            (
                MEMBER + "/actions/delete-permanent",
                {"list_id": "abc", "subscriber_hash": "x%40y"},
                False,
            ),
        ),
        ("PUT", "/3.0/lists/abc", (None, {}, True)),
        ("POST", "/3.0/ping", (None, {}, True)),
        ("GET", "/3.0/lists//members", (None, {}, False)),
        ("GET", "/3.0/campaigns", (None, {}, False)),
    ],
)
def test_match_route(
    method: str, path: str, expected: tuple[str | None, dict[str, str], bool]
) -> None:
    assert match_route(method, path) == expected


def test_every_route_reaches_a_handler_and_counts_under_its_template(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    values = {
        "list_id": audience.list_id,
        "subscriber_hash": "nobody@example.com",
        "merge_id": "1",
        "webhook_id": "none",
    }
    # Deleting the audience last keeps it for the other routes.
    for method, template in sorted(API_ROUTES, key=lambda r: r == ("DELETE", LIST)):
        path = template.format(**values).removeprefix("/3.0")
        body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
        answer = api.request(method, path, json=body)
        # No 405 (a route without handler) and no 500 (a handler reading the wrong params).
        assert answer.status_code in (200, 204, 400, 404), (method, template, answer.text)
        assert sim.stats.count(method, template) == 1, (method, template)
    assert sim.stats.total_api_requests == len(EXPECTED_ROUTES)


def test_unknown_routes_and_methods_count_as_unmatched(
    sim: Simulator, api: httpx.Client, audience: SimList
) -> None:
    assert api.put(f"/lists/{audience.list_id}").status_code == 405
    assert api.delete("/ping").status_code == 405
    assert api.get("/campaigns").status_code == 404
    assert sim.stats.count("PUT", "<unmatched>") == 1
    assert sim.stats.count("DELETE", "<unmatched>") == 1
    assert sim.stats.count("GET", "<unmatched>") == 1

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

# tests/ is on sys.path but tests/simulator is not a package: load the helper by path.
_spec = importlib.util.spec_from_file_location(
    "openapi_bodies", Path(__file__).with_name("openapi_bodies.py")
)
assert _spec is not None
assert _spec.loader is not None
openapi_bodies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openapi_bodies)
validate_request = openapi_bodies.validate_request

BATCH = "/lists/{list_id}"
MEMBER = "/3.0/lists/{list_id}/members/{subscriber_hash}"
WEBHOOKS = "/lists/{list_id}/webhooks"


def test_good_bodies_pass() -> None:
    batch = {
        "members": [
            {"email_address": "a@example.com", "status": "subscribed",
             "merge_fields": {"FNAME": "A", "BIRTHDAY": "05/15"}},
        ],
        "update_existing": True,
    }  # fmt: skip
    assert validate_request("POST", BATCH, batch) == []
    upsert = {"email_address": "a@example.com", "status_if_new": "subscribed", "merge_fields": {}}
    assert validate_request("PUT", MEMBER, upsert) == []
    hook = {
        "url": "https://x.example/h",
        "events": {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True,
                   "upemail": True, "campaign": False},
        "sources": {"user": True, "admin": True, "api": False},
    }  # fmt: skip
    assert validate_request("post", WEBHOOKS, hook) == []
    assert validate_request("GET", "/ping", None) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", BATCH, {}, "body.members: required"),
        ("POST", BATCH, {"members": "nope"}, "body.members: expected array"),
        ("POST", BATCH, {"members": [{"email_address": "a@example.com", "status": "archived"}]},
         "body.members[0].status: 'archived' is not one of"),
        ("POST", BATCH, {"members": [], "surprise": 1}, "body.surprise: unknown property"),
        ("POST", BATCH, {"members": [], "update_existing": "yes"},
         "body.update_existing: expected boolean"),
        ("PUT", MEMBER, {"email_address": "a@example.com"}, "body.status_if_new: required"),
        ("POST", WEBHOOKS, {"url": "u", "events": {"subscribe": "yes"}},
         "body.events.subscribe: expected boolean"),
        ("POST", WEBHOOKS, {"url": "u", "sources": {"robots": True}},
         "body.sources.robots: unknown property"),
        ("POST", BATCH, None, "body: required"),
    ],
)  # fmt: skip
def test_bad_bodies_are_reported(method: str, path: str, body: Any, expected: str) -> None:
    problems = validate_request(method, path, body)
    assert any(p.startswith(expected) for p in problems), problems


def test_unknown_operation_raises() -> None:
    with pytest.raises(KeyError):
        validate_request("POST", "/nowhere", {})

"""Bad webhook input: always a 4xx, never a 5xx, and the client data stays as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from support.databases import fresh_database
from support.harness import World, make_world, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret

FORM = "application/x-www-form-urlencoded"
LIST_ID = "aud0000001"


@pytest.fixture(scope="module")
def salon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Two tenants wired as if connected (audience and secret stored); no OAuth needed here."""
    with fresh_database(tmp_path_factory.mktemp("bad-input")) as url:
        world = make_world(url)
        try:
            for tenant_id, audience in (("salon", LIST_ID), ("other", "aud0000002")):
                world.container.tenants().add(AddTenant(tenant_id, tenant_id, "America/Montreal"))
                world.import_rows(tenant_id, sample_rows(3))
                with world.uow() as uow:
                    tenant = uow.tenants.get(tenant_id)
                    assert tenant is not None
                    uow.tenants.save(
                        replace(tenant, audience_id=audience, webhook_salt=f"salt-{tenant_id}")
                    )
                    uow.commit()
            yield world
        finally:
            world.close()


def url_of(world: World, tenant: str = "salon", key_of: str = "salon") -> str:
    """The webhook URL of `tenant` carrying the secret of `key_of` (a tenant, or "wrong")."""
    key = "A" * 43
    if key_of != "wrong":
        key = webhook_secret(world.settings.secret_key, world.tenant(key_of))
    return f"{world.app_url}/webhooks/mailchimp/{tenant}/{key}"


def event(**changes: str) -> dict[str, str]:
    form = {
        "type": "unsubscribe",
        "fired_at": "2026-03-01 12:00:00",
        "data[action]": "unsub",
        "data[reason]": "manual",
        "data[list_id]": LIST_ID,
        "data[email]": "client1@example.com",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != "<drop>"}


def body(form: dict[str, str]) -> bytes:
    return urlencode(form).encode()


# (name, url kwargs, body, content type, expected status)
CASES: list[tuple[str, dict[str, str], bytes, str, int]] = [
    ("wrong secret", {"key_of": "wrong"}, body(event()), FORM, 404),
    ("other tenant's secret", {"key_of": "other"}, body(event()), FORM, 404),
    ("unknown tenant", {"tenant": "nobody"}, body(event()), FORM, 404),
    ("missing type", {}, body(event(type="<drop>")), FORM, 400),
    ("unknown type", {}, body(event(type="explode")), FORM, 400),
    ("missing list_id", {}, body(event(**{"data[list_id]": "<drop>"})), FORM, 400),
    # Refused and logged, answered 200 so MailChimp stops retrying: nothing applied.
    ("foreign list_id", {}, body(event(**{"data[list_id]": "aud0000002"})), FORM, 200),
    ("missing email", {}, body(event(**{"data[email]": "<drop>"})), FORM, 400),
    ("not an email", {}, body(event(**{"data[email]": "nobody"})), FORM, 400),
    ("body too large", {}, body(event(**{"data[x]": "y" * 70_000})), FORM, 413),
    ("wrong content type", {}, b'{"type": "unsubscribe"}', "application/json", 415),
    ("no content type", {}, body(event()), "", 415),
    ("malformed percent-encoding", {}, body(event()) + b"&data[z]=%zz", FORM, 400),
    ("non-UTF-8 body", {}, body(event()) + b"&data[z]=\xff\xfe", FORM, 400),
    ("non-UTF-8 percent-encoded", {}, body(event()) + b"&data[z]=%ff", FORM, 400),
    ("field too long", {}, body(event(**{"data[merges][FNAME]": "x" * 3000})), FORM, 400),
    ("NUL byte", {}, body(event(**{"data[merges][FNAME]": "a\x00b"})), FORM, 400),
    ("field without value", {}, body(event()) + b"&loose", FORM, 400),
    (
        "CRLF in the address",
        {},
        body(event(**{"data[email]": "client1@example.com\r\nx"})),
        FORM,
        400,
    ),
    ("line separator in the list id", {}, body(event(**{"data[list_id]": "aud\u2028"})), FORM, 400),
    (
        "address over 254 characters",
        {},
        body(event(**{"data[email]": "a@" + "b" * 253})),
        FORM,
        400,
    ),
    ("NUL in the tenant id", {"tenant": "sa%00lon"}, body(event()), FORM, 404),
    ("too many fields", {}, body({**event(), **{f"k{i}": "v" for i in range(300)}}), FORM, 400),
]


def snapshot(world: World) -> tuple[Any, ...]:
    return (
        world.clients("salon"),
        world.clients("other"),
        [e.kind for e in world.entries("salon") if not str(e.kind).startswith("webhook.")],
        world.entries("other"),
    )


@pytest.mark.parametrize(
    ("name", "where", "payload", "content_type", "status"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_gets_4xx_and_changes_nothing(
    salon: World,
    name: str,
    where: dict[str, str],
    payload: bytes,
    content_type: str,
    status: int,
) -> None:
    before = snapshot(salon)
    headers = {"Content-Type": content_type} if content_type else {}
    answer = httpx.post(url_of(salon, **where), content=payload, headers=headers, timeout=10)
    assert answer.status_code == status, answer.text
    if status == 404:
        missing = httpx.post(f"{salon.app_url}/no/such/route", content=payload, timeout=10)
        assert (answer.text, answer.headers["content-type"]) == (
            missing.text,
            missing.headers["content-type"],
        )
    assert snapshot(salon) == before


def test_a_foreign_event_is_logged_once_however_often_it_is_retried(salon: World) -> None:
    form = event(**{"data[list_id]": "aud0000099", "fired_at": "2026-03-02 08:00:00"})
    for _ in range(3):
        answer = httpx.post(url_of(salon), data=form, timeout=10)
        assert (answer.status_code, answer.json()["outcome"]) == (200, "refused")
    refused = [
        e for e in salon.entries("salon", "webhook.refused") if e.details["list_id"] == "aud0000099"
    ]
    assert len(refused) == 1
    assert "another audience" in refused[0].message


def test_the_same_event_is_accepted_after_the_bad_ones(salon: World) -> None:
    answer = httpx.post(url_of(salon), data=event(), timeout=10)
    assert answer.status_code == 200, answer.text
    assert eventually(
        lambda: salon.clients("salon")["client1@example.com"].newsletter == "unsubscribed"
    )
    assert eventually(lambda: "contact.unsubscribed" in salon.kinds("salon"))
    assert salon.clients("other")["client1@example.com"].newsletter == "subscribed"


def test_a_sender_that_leaves_mid_body_is_one_info_line_and_stores_nothing(
    salon: World, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import socket
    import time

    from support.waiting import eventually

    url = httpx.URL(url_of(salon))
    before = len(salon.entries())
    caplog.set_level(logging.INFO)
    with socket.create_connection((url.host, url.port or 80), timeout=5) as raw:
        raw.sendall(
            (
                f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
                "type=unsubscribe&data"
            ).encode()
        )
        time.sleep(0.2)
    assert eventually(lambda: "disconnected before sending" in caplog.text, timeout=5)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert len(salon.entries()) == before  # nothing stored, nothing applied

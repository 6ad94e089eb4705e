"""Property-based, over HTTP on the suite's database (SQLite, or PostgreSQL with
CS_MAILCHIMP_TEST_BACKEND=postgresql): whatever a sender puts in a webhook request — form,
raw body or URL — the answer is never a 5xx, and what is stored never prints as more than one
line of `cs-mailchimp activity` (issue 11 point 3, the webhook form's part)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.databases import fresh_database
from support.harness import World, make_world, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret

LIST_ID = "aud0000001"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d  [a-z._]+ +\S")
NASTY = st.sampled_from(["\r\n", "\n", "\x00", "\t", "\x1b[31m", "\x85", "\u2028", "%", "&", "="])
TEXT = st.one_of(
    st.text(max_size=30),
    st.builds("".join, st.lists(st.one_of(st.text(max_size=5), NASTY), max_size=5)),
    st.just("y" * 2500),
)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def salon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fresh_database(tmp_path_factory.mktemp("form-properties")) as url:
        world = make_world(url)
        try:
            world.container.tenants().add(AddTenant("salon", "Salon", "America/Montreal"))
            world.import_rows("salon", sample_rows(3))
            with world.uow() as uow:
                tenant = uow.tenants.get("salon")
                assert tenant is not None
                uow.tenants.save(replace(tenant, audience_id=LIST_ID, webhook_salt="salt"))
                uow.commit()
            yield world
        finally:
            world.close()


def url_of(world: World) -> str:
    return f"{world.app_url}/webhooks/mailchimp/salon/{webhook_secret(world.settings.secret_key, world.tenant())}"


def settled(world: World) -> None:
    def pending() -> int:
        with world.uow() as uow:
            return len(uow.scope("salon").inbox.pending())

    assert eventually(lambda: pending() == 0)


def printed_lines_are_one_per_entry(world: World) -> None:
    settled(world)
    result = world.cli("activity", "salon", "--limit", "1000")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    count = world.container.tenants().activity("salon", limit=1000)[1]
    assert len(lines) == count
    for line in lines:
        assert LINE.match(line) and not UNPRINTABLE.search(line), line


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    form = {
        "type": draw(st.sampled_from(["subscribe", "unsubscribe", "profile", "cleaned", "x"])),
        "fired_at": draw(st.one_of(st.just("2026-03-01 12:00:00"), TEXT)),
        "data[list_id]": draw(st.one_of(st.just(LIST_ID), TEXT)),
        "data[email]": draw(
            st.one_of(st.just("client1@example.com"), TEXT.map(lambda t: t + "@x"))
        ),
        "data[merges][FNAME]": draw(TEXT),
    }
    form.update(draw(st.dictionaries(TEXT, TEXT, max_size=3)))
    return form


@PROPERTY
@given(form=forms())
def test_any_form_gets_a_4xx_or_is_stored_and_prints_on_one_line(
    salon: World, form: dict[str, str]
) -> None:
    answer = httpx.post(url_of(salon), content=urlencode(form).encode(), headers=FORM, timeout=30)
    assert answer.status_code in (200, 400, 413), answer.text
    if answer.status_code == 200:
        settled(salon)
        for entry in salon.entries("salon"):
            assert not UNPRINTABLE.search(entry.message), entry.message


@PROPERTY
@given(body=st.binary(max_size=300))
def test_any_body_gets_an_answer_that_is_not_a_5xx(salon: World, body: bytes) -> None:
    answer = httpx.post(url_of(salon), content=body, headers=FORM, timeout=30)
    assert answer.status_code in (200, 400, 413), answer.text


@PROPERTY
@given(tenant=TEXT, secret=TEXT)
def test_any_url_gets_a_404_not_a_5xx(salon: World, tenant: str, secret: str) -> None:
    path = f"/webhooks/mailchimp/{quote(tenant, safe='')}/{quote(secret, safe='')}"
    answer = httpx.post(f"{salon.app_url}{path}", content=b"type=x", headers=FORM, timeout=30)
    assert answer.status_code in (404, 405), answer.text


def test_a_crlf_in_an_address_is_refused_and_in_a_name_kept_escaped(salon: World) -> None:
    forged = "client2@example.com\r\n2026-03-01T12:00:00+00:00  contact.unsubscribed forged"
    base = {"type": "profile", "fired_at": "2026-03-01 13:00:00", "data[list_id]": LIST_ID}
    refused = httpx.post(url_of(salon), data={**base, "data[email]": forged}, timeout=30)
    assert refused.status_code == 400
    kept = httpx.post(
        url_of(salon),
        data={**base, "data[email]": "client2@example.com", "data[merges][FNAME]": "Zoé\r\nX"},
        timeout=30,
    )
    assert kept.status_code == 200
    settled(salon)
    profile = salon.entries("salon", "mailchimp.profile.recorded")
    assert any(e.details["merges"].get("FNAME") == "Zoé\\r\\nX" for e in profile)
    printed_lines_are_one_per_entry(salon)

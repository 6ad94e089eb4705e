"""Property-based: whatever a person types into a CSV file or a URL, the answer is the same on
SQLite and PostgreSQL — a row refused alone with its line, a 4xx/404 — never an aborted import,
a 500, SQL or another client's details in an error (issue 11, point 3).

Runs on PostgreSQL with CS_MAILCHIMP_TEST_BACKEND=postgresql, like every e2e suite."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.databases import fresh_database
from support.harness import World, make_world

from calendarspots_mailchimp.core.errors import AlreadyExists, InvalidInput
from calendarspots_mailchimp.core.services.tenants import AddTenant
from calendarspots_mailchimp.core.validation import CLIENT_ID_MAX, EMAIL_MAX, NAME_MAX

COLUMNS = ("email", "first_name", "last_name", "birthday", "client_id")
# Text as people and attackers type it: accents, quotes, separators, formulas, NUL, escape
# sequences, C1 controls, bidi overrides — every character but surrogates (which no file
# can hold) and line breaks (a row is one line; see test_import_csv for those).
TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\n\r"),
    max_size=12,
)
LONG = st.sampled_from(["", "x" * 99, "x" * 100, "x" * 101, "y" * 300, "z" * 3000])
CELL = st.one_of(TEXT, LONG, st.sampled_from(['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "\x00"]))
BIRTHDAYS = st.sampled_from(["", "1990-02-28", "02-29", "12-31"])
ENCODINGS = st.sampled_from([("utf-8", ","), ("utf-8-sig", ";"), ("utf-16", "\t")])
_tenants = itertools.count()
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

settings.register_profile(
    "e2e",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fresh_database(tmp_path_factory.mktemp("properties")) as url:
        world = make_world(url)
        try:
            world.add_tenant("salon")
            yield world
        finally:
            world.close()


@st.composite
def rows(draw: st.DrawFn) -> list[tuple[str, str, str, str, str]]:
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        email = f"row{i:02d}q{draw(st.one_of(st.just(''), TEXT, LONG))}@example.com"
        out.append((email, draw(CELL), draw(CELL), draw(BIRTHDAYS), f"id{i}{draw(CELL)}"))
    return out


def refused(row: tuple[str, str, str, str, str]) -> bool:
    """The documented rule (README "Limits"), written again here from the words."""
    email, first, last, _, client_id = row
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for cell in row for ch in cell):
        return True
    return (
        len(email.strip()) > EMAIL_MAX
        or len(client_id.strip()) > CLIENT_ID_MAX
        or len(first.strip()) > NAME_MAX
        or len(last.strip()) > NAME_MAX
    )


def as_csv(data: list[tuple[str, str, str, str, str]], encoding: str, delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(data)
    return out.getvalue().encode(encoding)


@settings(settings.get_profile("e2e"))
@given(data=rows(), encoding=ENCODINGS)
def test_every_row_lands_or_is_refused_alone_with_its_line(
    shared: World, data: list[tuple[str, str, str, str, str]], encoding: tuple[str, str]
) -> None:
    tenant = f"p{next(_tenants)}"
    shared.container.tenants().add(AddTenant(tenant, "Property", "Europe/Paris"))

    report = shared.container.clients().import_csv(tenant, as_csv(data, *encoding))

    expected_refused = [i + 2 for i, row in enumerate(data) if refused(row)]
    assert [e.line for e in report.errors] == expected_refused
    stored = {c.client_id: c for c in shared.container.directory().clients(tenant)}
    kept = {row[4].strip(): row for row in data if not refused(row)}
    assert set(stored) == set(kept)
    for client_id, (email, first, last, _, _) in kept.items():
        client = stored[client_id]
        # Stored as the owner typed it (trimmed), formulas included: neutralised on the way out.
        assert (client.email, client.first_name, client.last_name) == (
            email.strip(),
            first.strip(),
            last.strip(),
        )
    for error in report.errors:
        assert "SELECT" not in error.reason and "INSERT" not in error.reason
        assert len(error.reason) < 400
        others = {f"row{i:02d}q" for i in range(len(data)) if i + 2 != error.line}
        assert not [o for o in others if o in error.reason], error


ROUTES = (
    "/tenants/{t}/activity",
    "/tenants/{t}/activity?kind={v}",
    "/tenants/{t}/newsletters",
    "/tenants/{t}/newsletters?owner_token={v}",
    "/oauth/mailchimp/start?tenant={t}",
    "/oauth/mailchimp/start?tenant={t}&link_token={v}",
    "/oauth/mailchimp/callback?state={v}&code={v}",
    "/webhooks/mailchimp/{t}/{v}",
)


@settings(settings.get_profile("e2e"), max_examples=60)
@given(
    route=st.sampled_from(ROUTES),
    tenant=st.one_of(st.just("salon"), TEXT, LONG),
    value=st.one_of(st.just("sync.failed"), TEXT, LONG),
    admin=st.booleans(),
)
def test_route_parameters_answer_4xx_never_5xx(
    shared: World, route: str, tenant: str, value: str, admin: bool
) -> None:
    path = route.format(t=quote(tenant, safe=""), v=quote(value, safe=""))
    headers = {"Authorization": f"Bearer {shared.settings.admin_token}"} if admin else {}
    with httpx.Client(timeout=30) as http:
        answer = http.get(shared.app_url + path, headers=headers)
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and "SELECT" not in answer.text
    if any(ch < " " for ch in tenant) and route.startswith("/tenants/"):
        assert answer.status_code == 404


@settings(settings.get_profile("e2e"))
@given(tenant_id=st.one_of(TEXT, LONG), name=st.one_of(TEXT, LONG))
def test_tenants_add_refuses_what_the_readme_says(shared: World, tenant_id: str, name: str) -> None:
    ok_id = (
        0 < len(tenant_id) <= 64
        and tenant_id[0] in ALNUM
        and all(ch in ALNUM + "._-" for ch in tenant_id)
    )
    ok_name = bool(name.strip()) and len(name.strip()) <= NAME_MAX
    ok_name = ok_name and not any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in name)
    add = shared.container.tenants().add
    if ok_id and ok_name and tenant_id in {t.tenant_id for t in shared.container.tenants().all()}:
        with pytest.raises(AlreadyExists):
            add(AddTenant(tenant_id, name, "Europe/Paris"))
        return
    if not (ok_id and ok_name):
        with pytest.raises(InvalidInput) as refusal:
            add(AddTenant(tenant_id, name, "Europe/Paris"))
        assert len(refusal.value.message) < 300
        return
    assert add(AddTenant(tenant_id, name, "Europe/Paris")).tenant_id == tenant_id
    with pytest.raises(AlreadyExists):
        add(AddTenant(tenant_id, name, "Europe/Paris"))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tenants/sa%00lon/activity", 404),
        ("/tenants/salon%00/newsletters", 404),
        ("/tenants/salon/activity?kind=sync%00", 400),
        ("/tenants/salon/activity?kind=%1b[31m", 400),
        ("/tenants/" + "a" * 5000 + "/activity", 404),
        ("/oauth/mailchimp/start?tenant=sa%00lon", 400),
        ("/webhooks/mailchimp/sa%00lon/secret", 404),
        ("/tenants/salon/activity?kind=sync.failed", 200),
    ],
)
def test_the_issue_s_requests_answer_alike_on_both_databases(
    shared: World, path: str, status: int
) -> None:
    auth = {"Authorization": f"Bearer {shared.settings.admin_token}"}
    with httpx.Client(timeout=30) as http:
        answer = http.get(shared.app_url + path, headers=auth)
    assert answer.status_code == status, answer.text[:300]

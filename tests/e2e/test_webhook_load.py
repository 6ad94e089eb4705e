"""200 events, each delivered twice, 50 in flight at once: every event answered 200, stored once
and applied exactly once, off the request path (figures against a real `serve` process:
benchmarks/webhook_load.py)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from support.harness import World, sample_rows
from support.waiting import eventually

from calendarspots_mailchimp.core.services.webhook_address import webhook_secret

EVENTS = 200
CONCURRENCY = 50
LIST_ID = "aud0000001"


@pytest.mark.R7
def test_concurrent_deliveries_apply_each_event_exactly_once(world: World) -> None:
    world.add_tenant("salon")
    world.import_rows("salon", sample_rows(EVENTS))
    with world.uow() as uow:
        tenant = uow.tenants.get("salon")
        assert tenant is not None
        tenant = replace(tenant, audience_id=LIST_ID, webhook_salt="load-salt")
        uow.tenants.save(tenant)
        uow.commit()
    url = f"{world.app_url}/webhooks/mailchimp/salon/{webhook_secret(world.settings.secret_key, tenant)}"
    forms = [
        {
            "type": "unsubscribe" if i % 2 else "cleaned",
            "fired_at": "2026-03-01 12:00:00",
            "data[list_id]": LIST_ID,
            "data[email]": f"client{i}@example.com",
            "data[reason]": "manual" if i % 2 else "hard",
        }
        for i in range(EVENTS)
    ]
    deliveries = [f for pair in zip(forms, forms, strict=True) for f in pair]  # twins race

    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)) as http:

        def post(form: dict[str, str]) -> tuple[int, bool]:
            answer = http.post(url, data=form)
            return answer.status_code, answer.status_code == 200 and answer.json()["duplicate"]

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(post, deliveries))

    assert Counter(status for status, _ in results) == {200: 2 * EVENTS}
    assert sum(duplicate for _, duplicate in results) == EVENTS

    def pending() -> int:
        with world.uow() as uow:
            return len(uow.scope("salon").inbox.pending(limit=2 * EVENTS))

    assert eventually(lambda: pending() == 0)
    entries = world.entries(kind="contact.unsubscribed") + world.entries(kind="contact.cleaned")
    assert Counter(e.details["email"] for e in entries) == {f["data[email]"]: 1 for f in forms}
    statuses = Counter(str(c.newsletter) for c in world.clients().values())
    assert statuses == {"unsubscribed": EVENTS // 2, "cleaned": EVENTS // 2}

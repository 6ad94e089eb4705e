from __future__ import annotations

from typing import Any

import httpx

from calendarspots_mailchimp.simulator import RunningSimulator, Simulator

Receiver = Any  # the `receiver` fixture (conftest.py)


def test_control_api_drives_a_running_simulator(
    sim: Simulator, running: RunningSimulator, receiver: Receiver
) -> None:
    with httpx.Client(base_url=running.url) as ctl:
        acct = ctl.post(
            "/_sim/accounts", json={"login": "s@example.com", "account_name": "S", "token": True}
        ).json()
        assert acct["account_name"] == "S"
        lst = ctl.post(
            f"/_sim/accounts/{acct['account_id']}/lists", json={"name": "calendarspots"}
        ).json()
        list_id = lst["id"]
        api = httpx.Client(
            base_url=running.url + "/3.0", headers={"Authorization": f"Bearer {acct['token']}"}
        )
        hook = api.post(f"/lists/{list_id}/webhooks", json={"url": receiver.url}).json()
        assert (
            ctl.post(
                f"/_sim/lists/{list_id}/signup",
                json={"email": "a@example.com", "merges": {"FNAME": "A"}},
            ).status_code
            == 200
        )
        assert (
            ctl.post(
                f"/_sim/lists/{list_id}/profile",
                json={"email": "a@example.com", "merges": {"LNAME": "B"}},
            ).status_code
            == 200
        )
        assert (
            ctl.post(
                f"/_sim/lists/{list_id}/change-email",
                json={"old": "a@example.com", "new": "c@example.com"},
            ).status_code
            == 200
        )
        assert (
            ctl.post(
                f"/_sim/lists/{list_id}/unsubscribe",
                json={"email": "c@example.com", "reason": "manual"},
            ).status_code
            == 200
        )
        ctl.post(f"/_sim/lists/{list_id}/signup", json={"email": "d@example.com"})
        assert (
            ctl.post(
                f"/_sim/lists/{list_id}/clean", json={"email": "d@example.com", "reason": "hard"}
            ).status_code
            == 200
        )
        assert sim.wait_deliveries(5)
        assert [r.fields["type"] for r in receiver.posts()] == [
            "subscribe",
            "profile",
            "upemail",
            "profile",
            "unsubscribe",
            "subscribe",
            "cleaned",
        ]
        members = ctl.get(f"/_sim/lists/{list_id}/members").json()["members"]
        assert {m["email_address"]: m["status"] for m in members} == {
            "c@example.com": "unsubscribed", "d@example.com": "cleaned",
        }  # fmt: skip
        unknown = ctl.post(f"/_sim/lists/{list_id}/unsubscribe", json={"email": "zz@example.com"})
        assert unknown.status_code == 400
        edited = ctl.patch(
            f"/_sim/lists/{list_id}/webhooks/{hook['id']}", json={"url": "http://x.example/h"}
        )
        assert edited.json()["url"] == "http://x.example/h"
        assert ctl.delete(f"/_sim/lists/{list_id}/webhooks/{hook['id']}").status_code == 204
        assert ctl.delete(f"/_sim/lists/{list_id}/webhooks/{hook['id']}").status_code == 404
        assert (
            ctl.post(f"/_sim/lists/{list_id}/rename", json={"name": "Calendarspots "}).status_code
            == 200
        )
        assert api.get(f"/lists/{list_id}").json()["name"] == "Calendarspots "

        assert (
            ctl.post("/_sim/faults", json={"status": 429, "retry_after": 2, "count": 1}).status_code
            == 200
        )
        assert api.get("/ping").status_code == 429
        assert ctl.post("/_sim/faults", json={"status": 418}).status_code == 400
        ctl.post("/_sim/faults", json={"status": 500, "count": 3})
        assert ctl.delete("/_sim/faults").status_code == 204
        assert api.get("/ping").status_code == 200
        assert ctl.post("/_sim/latency", json={"seconds": 0.05}).json() == {"latency": 0.05}
        assert sim.latency == 0.05
        stats = ctl.get("/_sim/stats").json()
        assert stats["total_api_requests"] >= 4
        assert stats["deliveries_succeeded"] == 7
        assert ctl.post("/_sim/stats/reset").status_code == 200
        assert ctl.get("/_sim/stats").json()["total_api_requests"] == 0
        state = ctl.get("/_sim/state").json()
        assert state["accounts"][0]["lists"][0]["list_id"] == list_id

        other = ctl.post(
            "/_sim/accounts", json={"login": "o@example.com", "account_name": "O"}
        ).json()
        assert (
            ctl.post("/_sim/approve-as", json={"account_id": other["account_id"]}).status_code
            == 200
        )
        assert sim.store.approving_account == other["account_id"]
        assert ctl.post(f"/_sim/accounts/{acct['account_id']}/revoke").json() == {"revoked": 1}
        assert api.get("/ping").status_code == 401
        assert ctl.delete(f"/_sim/lists/{list_id}").status_code == 204
        assert ctl.delete(f"/_sim/lists/{list_id}").status_code == 404
        api.close()

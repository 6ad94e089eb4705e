"""A run's overall deadline through the real CLI, adapters and simulator (issue 11 point 1,
CS_MAILCHIMP_RUN_DEADLINE): a night slower than its deadline stops between batches, exits 11
with the reason `deadline`, leaves the ledger matching MailChimp, and a later run of the same
night sends the rest with no duplicate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from support.databases import fresh_database
from support.harness import make_world, sample_rows

from calendarspots_mailchimp.simulator import Fault

NIGHT_IN_MONTREAL = "2031-03-04T09:55:00+00:00"
CLIENTS = 3000  # six batches


def test_a_night_past_its_deadline_stops_cleanly_and_the_next_run_finishes_it(
    tmp_path: Path,
) -> None:
    with fresh_database(tmp_path) as url:
        # One batch at a time, and a deadline shorter than the six of them take.
        world = make_world(url, run_deadline=3.0, max_connections=1)
        try:
            world.add_tenant("montreal", timezone="America/Montreal")
            world.import_rows("montreal", sample_rows(3))
            side = world.mailchimp(login="montreal@example.com")
            assert world.authorize("montreal")["ok"]
            world.import_rows("montreal", sample_rows(CLIENTS))
            batch = f"/3.0/lists/{side.list_id}"  # each batch is slow, nothing else
            world.sim.inject_fault(Fault(latency=1.0, count=100, method="POST", path_prefix=batch))

            result = world.cli("nightly", "--now", NIGHT_IN_MONTREAL, "--json")

            assert result.exit_code == 11, result.output
            [night] = json.loads(result.stdout)["synced"]
            assert night["ok"] is False and "time limit" in night["message"]
            sent = len(world.sim.members(side.list_id))
            assert 3 < sent < CLIENTS, sent
            ledger = world.ledger("montreal")
            assert {e.email.lower() for e in ledger.values()} == set(world.members(side.list_id))
            [failed] = world.entries("montreal", "sync.failed")
            assert failed.details["failure"] == "deadline"
            night_date = datetime(2031, 3, 4).date()
            assert world.tenant("montreal").last_sync_local_date != night_date

            world.sim.clear_faults()
            # Minutes later, with time enough (the deadline is for one run, not the night).
            world.container.sync_service.add_kwargs(run_deadline=timedelta(hours=3))
            world.sim.stats.reset()
            again = world.cli("sync", "montreal", "--json")
            assert again.exit_code == 0, again.output
            assert world.sim.stats.member_writes == CLIENTS - sent
            members = world.sim.members(side.list_id)
            assert len({m["email_address"].lower() for m in members}) == len(members) == CLIENTS
        finally:
            world.close()

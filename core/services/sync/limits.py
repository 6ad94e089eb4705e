"""How much one sync run does at a time, and how long it may hold its tenant."""

from __future__ import annotations

from datetime import timedelta

# A run stops cleanly between batches past this (CS_MAILCHIMP_RUN_DEADLINE); the rest waits
# for the next run, which the schedule starts (the tenant stays due).
RUN_DEADLINE = timedelta(hours=3)
BATCH_SIZE = 500  # MailChimp's batch subscribe cap (docs/mailchimp-api.md §5.1)
# A running sync renews its lease every LEASE_HEARTBEAT; a holder that died frees the tenant
# within LEASE_TTL (at once for a dead process on the same host).
LEASE_TTL = timedelta(minutes=2)
LEASE_HEARTBEAT = timedelta(seconds=20)
# Members changed in MailChimp are read back from a little before the last check, so a clock
# skew between us and MailChimp cannot hide an opt-out.
BACKFILL_MARGIN = timedelta(minutes=10)
# A run that wrote more members than one page of reading (1,000) does not leave them for the
# next read-back: it reads back only the opt-outs made meanwhile (two calls) and moves the
# checkpoint past its own writes (backfill.after_push).
READ_BACK_LIMIT = 1000
MAX_DETAILS = 50  # per-client problems kept in one activity entry
# Members unknown to the ledger are looked up one by one up to this many per run; beyond it,
# reading the whole audience (1,000 members a call) is cheaper.
LOOKUP_LIMIT = 25

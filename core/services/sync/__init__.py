"""The sync: contract and watchdog first, then opt-outs back from MailChimp, then only what
changed, in batches (R1, R2, R5, R6, R7, R10; SPEC "What a sync sends").

service.py runs the stages in that order; push.py says why a run killed half-way is safe.
"""

from __future__ import annotations

from calendarspots_mailchimp.core.services.sync.lease import AlreadySynced
from calendarspots_mailchimp.core.services.sync.limits import (
    BACKFILL_MARGIN,
    BATCH_SIZE,
    LEASE_TTL,
    LOOKUP_LIMIT,
    MAX_DETAILS,
)
from calendarspots_mailchimp.core.services.sync.report import ClientProblem, SyncReport
from calendarspots_mailchimp.core.services.sync.run import Progress
from calendarspots_mailchimp.core.services.sync.service import SyncService

__all__ = [
    "BACKFILL_MARGIN",
    "BATCH_SIZE",
    "LEASE_TTL",
    "LOOKUP_LIMIT",
    "MAX_DETAILS",
    "AlreadySynced",
    "ClientProblem",
    "Progress",
    "SyncReport",
    "SyncService",
]

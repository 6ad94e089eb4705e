"""The owner's activity view ("Voir l'activité"): the tenant's log as the owner reads it.

THE RULE (the one place it is defined): the owner sees every entry of the log except
  1. operator-only kinds (OPERATOR_ONLY): a passing `check` (it changes nothing and an
     operator's routine check would add a row each time), MailChimp's campaign bookkeeping, and
     `webhook.failed` (the operator's server could not be reached: the page already says the
     webhook is missing, and the fix is the operator's);
  2. a repeated refusal: an older `webhook.refused` for the same audience and event type as a
     newer one already shown, an older `contact.rejected` for the same address; and, inside a
     sync's entry, each client skipped as `refused_before` (MailChimp refused that same client,
     with the same details, at an earlier sync: that earlier entry said it).
The JSON log (`/tenants/{id}/activity` for API callers, `cs-mailchimp activity`) stays whole.

Filters (Show) are groups of kinds; paging walks the visible entries newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import ActivityEntry, ActivityKind
from calendarspots_mailchimp.core.services.client_names import client_names
from calendarspots_mailchimp.core.services.tenancy import load_tenant
from calendarspots_mailchimp.ports.client_directory import ClientDirectory
from calendarspots_mailchimp.ports.repositories import UnitOfWorkFactory

K = ActivityKind
OPERATOR_ONLY = frozenset({K.CHECK_PASSED, K.MAILCHIMP_CAMPAIGN_RECORDED, K.WEBHOOK_FAILED})
REPEATED_PROBLEM = "refused_before"  # a sync's client problem that repeats an earlier refusal
SCAN_BATCH = 200
MAX_SCANNED = 20_000  # raw entries looked through for one page (older ones: not shown)


class Show(StrEnum):
    ALL = "all"
    PROBLEMS = "problems"
    OPT_OUTS = "opt_outs"
    SYNCS = "syncs"


SHOW_KINDS: dict[Show, tuple[ActivityKind, ...]] = {
    Show.ALL: (),
    Show.PROBLEMS: (
        K.SYNC_FAILED,
        K.SYNC_PARTIAL,
        K.SYNC_HELD,
        K.CHECK_FAILED,
        K.AUTHORIZATION_REVOKED,
        K.AUTHORIZATION_FAILED,
        K.WEBHOOK_REFUSED,
        K.CONTACT_REJECTED,
    ),
    Show.OPT_OUTS: (K.CONTACT_UNSUBSCRIBED, K.CONTACT_CLEANED),
    Show.SYNCS: (
        K.SYNC_SUCCEEDED,
        K.SYNC_PARTIAL,
        K.SYNC_FAILED,
        K.SYNC_HELD,
        K.SYNC_REQUESTED,
    ),
}


def _repeat_key(entry: ActivityEntry) -> str | None:
    d = entry.details
    if entry.kind == K.WEBHOOK_REFUSED:
        return f"refused:{d.get('list_id', '')}:{d.get('type', '')}"
    if entry.kind == K.CONTACT_REJECTED:
        return f"rejected:{str(d.get('email', '')).strip().lower()}"
    return None


def for_owner(entries: Iterable[ActivityEntry]) -> Iterator[ActivityEntry]:
    """The rule above, over entries newest first (a stream: it remembers what it showed)."""
    shown: set[str] = set()
    for entry in entries:
        if entry.kind in OPERATOR_ONLY:
            continue
        key = _repeat_key(entry)
        if key is not None:
            if key in shown:
                continue
            shown.add(key)
        problems = entry.details.get("problems")
        if isinstance(problems, list):
            kept = [p for p in problems if not _repeated(p)]
            if len(kept) != len(problems):
                entry = replace(entry, details={**entry.details, "problems": kept})
        yield entry


def _repeated(problem: object) -> bool:
    return isinstance(problem, dict) and str(problem.get("reason", "")).startswith(REPEATED_PROBLEM)


@dataclass(frozen=True)
class OwnerActivityPage:
    entries: list[ActivityEntry]
    offset: int
    limit: int
    has_older: bool
    truncated: bool  # MAX_SCANNED raw entries were looked through; older ones are not shown
    names: dict[str, str] = field(default_factory=dict)  # client_id → name, for listed clients

    @property
    def has_newer(self) -> bool:
        return self.offset > 0


class OwnerActivity:
    def __init__(self, uow: UnitOfWorkFactory, directory: ClientDirectory) -> None:
        self.uow = uow
        self.directory = directory

    def page(
        self,
        tenant_id: str,
        show: str = "all",
        limit: int = 20,
        offset: int = 0,
        kinds: Sequence[str] = (),
    ) -> OwnerActivityPage:
        """`show`: a Show; `kinds` narrows further (the JSON API's `kind`). InvalidInput for a
        filter or paging out of range; NotFound for an unknown tenant."""
        try:
            group = Show(show or "all")
        except ValueError:
            raise InvalidInput(
                "show must be one of all, problems, opt_outs, syncs", code="activity.show"
            ) from None
        if not 1 <= limit <= 200:
            raise InvalidInput(
                "limit must be between 1 and 200", code="activity.limit", facts={"most": 200}
            )
        if not 0 <= offset <= MAX_SCANNED:
            raise InvalidInput(
                f"offset must be between 0 and {MAX_SCANNED}",
                code="activity.offset",
                facts={"most": MAX_SCANNED},
            )
        load_tenant(self.uow, tenant_id)
        wanted = [str(k) for k in SHOW_KINDS[group]]
        if kinds:
            wanted = [k for k in kinds if not wanted or k in wanted] or ["-"]
        visible, truncated = self._visible(tenant_id, wanted, offset + limit + 1)
        entries = visible[offset : offset + limit]
        ids = (
            str(p.get("client_id", ""))
            for e in entries
            for p in e.details.get("problems") or []
            if isinstance(p, dict)
        )
        names = client_names(self.directory, tenant_id, ids)
        has_older = len(visible) > offset + limit
        return OwnerActivityPage(entries, offset, limit, has_older, truncated, names)

    def _visible(
        self, tenant_id: str, kinds: list[str], enough: int
    ) -> tuple[list[ActivityEntry], bool]:
        """Up to `enough` visible entries, newest first; True when the scan reached
        MAX_SCANNED raw entries (older ones are not looked at)."""
        out: list[ActivityEntry] = []
        scanned = 0
        with self.uow() as uow:
            activity = uow.scope(tenant_id).activity

            def raw() -> Iterator[ActivityEntry]:
                nonlocal scanned
                for start in range(0, MAX_SCANNED, SCAN_BATCH):
                    batch = activity.list(limit=SCAN_BATCH, offset=start, kinds=kinds)
                    scanned += len(batch)
                    yield from batch
                    if len(batch) < SCAN_BATCH:
                        return

            for entry in for_owner(raw()):
                out.append(entry)
                if len(out) >= enough:
                    break
        return out, scanned >= MAX_SCANNED

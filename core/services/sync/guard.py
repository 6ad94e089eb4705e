"""The mass-change guard: a night that would rewrite much of an audience — a platform bug that
blanks every name, a client table emptied by mistake — is held before anything is sent, until
an operator confirms. It reads only what the sync already has: no extra API call."""

from __future__ import annotations

from dataclasses import dataclass, replace

from calendarspots_mailchimp.core.model import Tenant

# Below this many known members a few changes are a large share: the guard stays out of the way.
MIN_MEMBERS = 20


@dataclass(frozen=True)
class Guard:
    update_percent: float  # more than this share of the members updated: held
    archive_percent: float  # more than this share archived: held

    def for_tenant(self, tenant: Tenant) -> Guard:
        """The tenant's own thresholds where it has them (`tenants set`), else these."""
        update, archive = tenant.guard_update_percent, tenant.guard_archive_percent
        return replace(
            self,
            update_percent=self.update_percent if update is None else update,
            archive_percent=self.archive_percent if archive is None else archive,
        )


@dataclass(frozen=True)
class MassChange:
    members: int  # what the ledger knows MailChimp has
    updates: int  # existing members whose content would change
    archives: int  # members that would be archived

    def details(self, guard: Guard) -> dict[str, float | int]:
        return {
            "members": self.members,
            "updates": self.updates,
            "archives": self.archives,
            "update_percent": round(100 * self.updates / self.members, 1),
            "archive_percent": round(100 * self.archives / self.members, 1),
            "update_limit": guard.update_percent,
            "archive_limit": guard.archive_percent,
        }


def assess(guard: Guard, members: int, updates: int, archives: int) -> MassChange | None:
    """The change when it is more than the guard lets through, else None."""
    if members < MIN_MEMBERS:
        return None
    too_many_updates = updates * 100 > guard.update_percent * members
    too_many_archives = archives * 100 > guard.archive_percent * members
    if too_many_updates or too_many_archives:
        return MassChange(members, updates, archives)
    return None


class Held(Exception):
    """Raised by a sync the guard stops: nothing has been sent."""

    def __init__(self, change: MassChange) -> None:
        super().__init__("held by the mass-change guard")
        self.change = change

"""Batches out to MailChimp, and what MailChimp answered into the ledger.

Crash safety: the ledger is written batch by batch, each batch in its own transaction, only
after MailChimp acknowledged it. A run killed half-way leaves acknowledged batches recorded and
the rest unrecorded; the next run sends the rest. A batch acknowledged but not recorded is sent
again — harmless, because batch subscribe keys members by address and update_existing re-applies
the same values (no duplicate member can appear).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from calendarspots_mailchimp.core.model import LedgerEntry, MemberStatus
from calendarspots_mailchimp.core.services.sync.optouts import mark_all, tell
from calendarspots_mailchimp.core.services.sync.report import Reason, encode, refusal
from calendarspots_mailchimp.core.services.sync.run import Run, Write, ledger_entry
from calendarspots_mailchimp.ports.mailchimp import BatchResult, MemberErrorKind, MemberWrite

T = TypeVar("T")


# Refusals in words we do not recognise, checked against the member's status, per batch.
MAX_UNKNOWN_ERROR_LOOKUPS = 25


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Full lists of `size` items, the last one shorter; lazy, so a batch goes out before the
    next one is planned."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def push(run: Run, batches: Iterator[list[Write]]) -> None:
    pending: dict[int, list[Write]] = {}

    def member_batches() -> Iterator[list[MemberWrite]]:
        for batch in batches:
            if run.past_deadline():
                return  # batches in flight are still recorded; none more is sent
            members = [w.write for w in batch]
            pending[id(members)] = batch
            yield members

    done = 0
    for members, result in run.account.batch_subscribe(run.audience_id, member_batches()):
        writes = pending.pop(id(members))
        _record_batch(run, writes, result)
        done += len(writes)
        run.progress("push", done)


def _record_batch(run: Run, writes: Sequence[Write], result: BatchResult) -> None:
    run.written += len(result.created) + len(result.updated)
    if result.last_changed is not None and (
        run.written_until is None or result.last_changed > run.written_until
    ):
        run.written_until = result.last_changed
    by_email = {w.write.email.lower(): w for w in writes}
    created = {e.lower() for e in result.created}
    updated = {e.lower() for e in result.updated}
    unchanged = {e.lower() for e in result.unchanged}
    errors = {e.email.lower(): e for e in result.errors}
    entries: list[LedgerEntry] = []
    opt_outs: list[tuple[str, MemberStatus]] = []
    lookups = MAX_UNKNOWN_ERROR_LOOKUPS
    for key, w in by_email.items():
        client = w.client
        if key in created or key in updated or key in unchanged:
            if key in created:
                run.counts.created += 1
            elif key in updated:
                run.counts.updated += 1
            else:
                run.counts.unchanged += 1
            entries.append(ledger_entry(client, w.write.status))
            continue
        error = errors.get(key)
        opted_out: MemberStatus | None = None
        if error is not None and error.kind == MemberErrorKind.OTHER and lookups > 0:
            # The wording of batch errors is undocumented (docs/mailchimp-api.md §5.1 lists only
            # ERROR_CONTACT_EXISTS and ERROR_GENERIC): a refusal we cannot read may still be
            # the compliance state, so the member's own status decides.
            lookups -= 1
            opted_out = _status_if_opted_out(run, client.email)
        if opted_out is not None:
            run.skip(client, Reason.OPTED_OUT, opted_out.value)
            entries.append(ledger_entry(client, opted_out))
            opt_outs.append((client.email, opted_out))
            continue
        if error is not None and error.kind == MemberErrorKind.COMPLIANCE_STATE:
            # MailChimp refused to subscribe someone who opted out: our R10 safety net.
            # Its refusal does not say whether they unsubscribed or bounced; ask.
            status = _opted_out_status(run, client.email)
            run.skip(client, Reason.OPTED_OUT, status.value)
            entries.append(ledger_entry(client, status))
            opt_outs.append((client.email, status))
            continue
        reason, detail = refusal(error) if error else (Reason.NO_RESULT, "")
        run.fail(client, reason, detail)
        # Remember the refusal with the content it was for: the same content is not sent
        # again every night (MailChimp would refuse it forever), a changed one is.
        entries.append(ledger_entry(client, None, encode(reason, detail)))
    marked = mark_all(run, opt_outs)
    with run.uow() as uow:
        scope = uow.scope(run.tenant.tenant_id)
        scope.ledger.upsert_many(entries)
        for email, status, marked_client in marked:
            tell(run, scope, email, status, marked_client, None)
        uow.commit()


def _status_if_opted_out(run: Run, email: str) -> MemberStatus | None:
    state = run.account.get_member(run.audience_id, email)
    if state is None:
        return None
    if state.status in (MemberStatus.UNSUBSCRIBED, MemberStatus.CLEANED):
        return state.status
    # Archived says nothing of consent: without MailChimp's own compliance wording, the
    # contact is a plain refusal (not sent again until it changes), not an opt-out.
    return None


def _opted_out_status(run: Run, email: str) -> MemberStatus:
    """UNSUBSCRIBED or CLEANED, as MailChimp has the member now."""
    state = run.account.get_member(run.audience_id, email)
    if state is not None and state.status == MemberStatus.CLEANED:
        return MemberStatus.CLEANED
    # Unsubscribed, or archived after opting out (it stays in compliance state).
    return MemberStatus.UNSUBSCRIBED

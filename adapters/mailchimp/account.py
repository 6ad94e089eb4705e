"""One authorized MailChimp account: the Marketing API v3 calls the plugin makes (docs/mailchimp-api.md §8)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from calendarspots_mailchimp.adapters.mailchimp import codec
from calendarspots_mailchimp.adapters.mailchimp.problems import (
    error_for,
    json_body,
    problem_of,
    refused_facts,
    rejection,
    unexpected,
)
from calendarspots_mailchimp.adapters.mailchimp.requester import Requester
from calendarspots_mailchimp.adapters.mailchimp.streaming import stream_map
from calendarspots_mailchimp.core.model import MemberStatus, MergeField, subscriber_hash
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    AudienceSummary,
    BatchResult,
    MailChimpError,
    MemberError,
    MemberErrorKind,
    MemberRejected,
    MemberState,
    MemberWrite,
    Webhook,
    WebhookSpec,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 1000  # the maximum `count` on every collection (§2)
BATCH_LIMIT = 500  # members per batch subscribe call (§5.1)
# MailChimp's own limit for one call is 120 s (§7.1): reads and writes get that long, the
# connection itself no longer than any other call's.
BATCH_TIMEOUT = httpx.Timeout(120.0, connect=10.0)

KNOWN_STATUSES = frozenset(str(status) for status in MemberStatus)

_LIST = "/lists/{list_id}"
_MEMBER = "/lists/{list_id}/members/{subscriber_hash}"
_WEBHOOK = "/lists/{list_id}/webhooks/{webhook_id}"

T = TypeVar("T")


def _seg(value: str) -> str:
    """An id as one path segment, whatever it contains."""
    return quote(value, safe="")


def _decoded(parse: Callable[[dict[str, Any]], T], body: dict[str, Any]) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise unexpected(f"cannot read {exc!r}") from exc


class HttpMailChimpAccount:
    """Implements ports.mailchimp.MailChimpAccount over one httpx.Client."""

    def __init__(self, requester: Requester, workers: int) -> None:
        self._http = requester
        self._workers = workers

    @property
    def api_calls(self) -> int:
        return self._http.counter.value

    def close(self) -> None:
        self._http.close()

    # -- plumbing ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        template: str,
        *,
        idempotent: bool = True,
        params: dict[str, str | int] | None = None,
        json: Any = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """The final response; 401 raises TokenRevoked (§1.3), other errors are the caller's."""
        response = self._http.send(
            method,
            path,
            template=template,
            idempotent=idempotent,
            params=params,
            json=json,
            timeout=timeout,
        )
        if response.status_code == 401:
            raise error_for(problem_of(response))
        return response

    def _fail(self, response: httpx.Response) -> MailChimpError:
        return error_for(problem_of(response))

    def _audience_gone(self, response: httpx.Response) -> AudienceNotFound:
        problem = problem_of(response)
        return AudienceNotFound(
            problem.status,
            problem.title,
            problem.detail or "the audience no longer exists",
            code="mailchimp.audience_gone",
        )

    def _require_audience(self, audience_id: str) -> None:
        """A 404 below an audience may mean the member/webhook or the audience itself is gone;
        MailChimp answers both with "Resource Not Found" (§7.2), so ask about the audience."""
        response = self._call("GET", f"/lists/{_seg(audience_id)}", _LIST, params={"fields": "id"})
        if response.status_code == 404:
            raise self._audience_gone(response)
        if not response.is_success:
            raise self._fail(response)

    def _list_call(
        self,
        method: str,
        audience_id: str,
        suffix: str,
        *,
        idempotent: bool = True,
        params: dict[str, str | int] | None = None,
        json: Any = None,
        timeout: httpx.Timeout | None = None,
    ) -> dict[str, Any]:
        """A call on the audience or one of its collections: 404 means the audience is gone."""
        response = self._call(
            method,
            f"/lists/{_seg(audience_id)}{suffix}",
            _LIST + suffix,
            idempotent=idempotent,
            params=params,
            json=json,
            timeout=timeout,
        )
        if response.status_code == 404:
            raise self._audience_gone(response)
        if not response.is_success:
            raise self._fail(response)
        return json_body(response)

    def _pages(
        self,
        path: str,
        template: str,
        key: str,
        params: dict[str, str | int],
        *,
        audience_id: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        # ASSUMPTION: offset paging over a collection that changes meanwhile may skip or repeat
        # items; acceptable because every caller is idempotent and re-reads on the next sync.
        offset = 0
        while True:
            response = self._call(
                "GET", path, template, params={**params, "count": PAGE_SIZE, "offset": offset}
            )
            if response.status_code == 404 and audience_id is not None:
                raise self._audience_gone(response)
            if not response.is_success:
                raise self._fail(response)
            body = json_body(response)
            items = [item for item in body.get(key) or () if isinstance(item, dict)]
            yield from items
            offset += len(items)
            total = body.get("total_items")
            if not items or not isinstance(total, int) or offset >= total:
                return

    # -- audiences and merge fields ----------------------------------------------------

    def account_id(self) -> str:
        response = self._call("GET", "/", "/", params={"fields": "account_id"})
        if not response.is_success:
            raise self._fail(response)
        value = json_body(response).get("account_id")
        if not isinstance(value, str | int) or not str(value):
            raise unexpected("the API root has no account_id")
        return str(value)

    def audiences(self) -> list[AudienceSummary]:
        fields = "lists.id,lists.name,lists.stats.member_count,total_items"
        pages = self._pages("/lists", "/lists", "lists", {"fields": fields})
        return [_decoded(codec.audience, item) for item in pages]

    def merge_fields(self, audience_id: str) -> list[MergeField]:
        pages = self._pages(
            f"/lists/{_seg(audience_id)}/merge-fields",
            _LIST + "/merge-fields",
            "merge_fields",
            {},
            audience_id=audience_id,
        )
        return [_decoded(codec.merge_field, item) for item in pages]

    def create_merge_field(self, audience_id: str, merge_field: MergeField) -> MergeField:
        # Not idempotent: a repeat after a lost answer could add the field twice.
        body = self._list_call(
            "POST",
            audience_id,
            "/merge-fields",
            idempotent=False,
            json=codec.merge_field_body(merge_field),
        )
        return _decoded(codec.merge_field, body)

    # -- members -------------------------------------------------------------------------

    def members(
        self,
        audience_id: str,
        status: MemberStatus | None = None,
        since_last_changed: datetime | None = None,
    ) -> Iterator[MemberState]:
        params: dict[str, str | int] = {
            "fields": "members.email_address,members.status,members.last_changed,total_items"
        }
        if status is not None:
            params["status"] = str(status)
        if since_last_changed is not None:
            params["since_last_changed"] = codec.iso_utc(since_last_changed)
        pages = self._pages(
            f"/lists/{_seg(audience_id)}/members",
            _LIST + "/members",
            "members",
            params,
            audience_id=audience_id,
        )
        for item in pages:
            if str(item.get("status")) not in KNOWN_STATUSES:
                # A status newer than this code: one member left unread beats a failed sync.
                log.warning("a member with an unknown status %r was skipped", item.get("status"))
                continue
            yield _decoded(codec.member, item)

    def batch_subscribe(
        self, audience_id: str, batches: Iterable[Sequence[MemberWrite]]
    ) -> Iterator[tuple[Sequence[MemberWrite], BatchResult]]:
        def checked() -> Iterator[Sequence[MemberWrite]]:
            for batch in batches:
                if len(batch) > BATCH_LIMIT:
                    raise ValueError(
                        f"a batch subscribe takes at most {BATCH_LIMIT} members, got {len(batch)}"
                    )
                yield batch

        def send(batch: Sequence[MemberWrite]) -> BatchResult:
            if not batch:
                return BatchResult()
            # Safe to retry even after a timeout: with update_existing=true, sending the same
            # members again re-applies the same status and merge fields (§5.1), so a repeat of
            # a call MailChimp already processed changes nothing more. Members created by the
            # first attempt come back as "updated" on the repeat, which the caller counts alike.
            # MailChimp gives a call up to 120 s (§7.1): a batch of 500 may take long, and
            # giving up sooner would send it again while the first is still being processed.
            # skip_merge_validation: the owner's "required" flags are for signup forms; a
            # client with no last name still belongs in the audience ([SPEC], §3).
            body = self._list_call(
                "POST",
                audience_id,
                "",
                params={"skip_merge_validation": "true"},
                json=codec.batch_body(batch),
                timeout=BATCH_TIMEOUT,
            )
            return codec.batch_result(batch, body)

        return stream_map(send, checked(), self._workers)

    def upsert_member(self, audience_id: str, member: MemberWrite) -> MemberState:
        # R10: `status_if_new` only, never `status`, so an existing member's status (perhaps
        # unsubscribed or cleaned) is left as it is (§4.2).
        body = {
            "email_address": member.email,
            "status_if_new": str(member.status),
            "merge_fields": dict(member.merge_fields),
        }
        digest = subscriber_hash(member.email)
        response = self._call(
            "PUT",
            f"/lists/{_seg(audience_id)}/members/{digest}",
            _MEMBER,
            params={"skip_merge_validation": "true"},
            json=body,
        )
        if response.status_code == 404:  # PUT creates the member: only the audience can be gone
            raise self._audience_gone(response)
        if response.status_code in (400, 405):
            raise rejection(member.email, problem_of(response))
        if not response.is_success:
            raise self._fail(response)
        return _decoded(codec.member, json_body(response))

    def change_email(
        self, audience_id: str, old_email: str, new_email: str, merge_fields: dict[str, str]
    ) -> MemberState:
        body = {"email_address": new_email, "merge_fields": dict(merge_fields)}
        digest = subscriber_hash(old_email)
        response = self._call(
            "PATCH", f"/lists/{_seg(audience_id)}/members/{digest}", _MEMBER, json=body
        )
        if response.status_code == 404:
            self._require_audience(audience_id)
            problem = problem_of(response)
            raise MemberRejected(
                404,
                problem.title,
                problem.detail,
                MemberError(
                    old_email, MemberErrorKind.OTHER, f"{old_email} is not in the audience"
                ),
                code="mailchimp.refused",
                facts=refused_facts(problem),
            )
        if response.status_code in (400, 405):
            raise rejection(new_email, problem_of(response))
        if not response.is_success:
            raise self._fail(response)
        return _decoded(codec.member, json_body(response))

    def archive_member(self, audience_id: str, email: str) -> None:
        digest = subscriber_hash(email)
        response = self._call("DELETE", f"/lists/{_seg(audience_id)}/members/{digest}", _MEMBER)
        if response.status_code == 404:  # already gone is fine, unless the audience is
            self._require_audience(audience_id)
            return
        if response.status_code in (400, 405):  # e.g. cannot archive a cleaned member (§4.3)
            raise rejection(email, problem_of(response))
        if not response.is_success:
            raise self._fail(response)

    def get_member(self, audience_id: str, email: str) -> MemberState | None:
        digest = subscriber_hash(email)
        response = self._call("GET", f"/lists/{_seg(audience_id)}/members/{digest}", _MEMBER)
        if response.status_code == 404:
            self._require_audience(audience_id)
            return None
        if not response.is_success:
            raise self._fail(response)
        return _decoded(codec.member, json_body(response))

    # -- webhooks --------------------------------------------------------------------------

    def webhooks(self, audience_id: str) -> list[Webhook]:
        body = self._list_call("GET", audience_id, "/webhooks")
        return [
            _decoded(codec.webhook, item)
            for item in body.get("webhooks") or ()
            if isinstance(item, dict)
        ]

    def create_webhook(self, audience_id: str, spec: WebhookSpec) -> Webhook:
        # The URL carries the tenant's secret: only its host may reach the log.
        log.debug("creating a webhook to host %s", urlsplit(spec.url).hostname)
        # Not idempotent: a repeat after a lost answer could install a second webhook.
        body = self._list_call(
            "POST", audience_id, "/webhooks", idempotent=False, json=codec.webhook_body(spec)
        )
        return _decoded(codec.webhook, body)

    def update_webhook(self, audience_id: str, webhook_id: str, spec: WebhookSpec) -> Webhook:
        log.debug("updating a webhook to host %s", urlsplit(spec.url).hostname)
        response = self._call(
            "PATCH",
            f"/lists/{_seg(audience_id)}/webhooks/{_seg(webhook_id)}",
            _WEBHOOK,
            json=codec.webhook_body(spec),
        )
        if response.status_code == 404:
            self._require_audience(audience_id)
        if not response.is_success:
            raise self._fail(response)
        return _decoded(codec.webhook, json_body(response))

    def delete_webhook(self, audience_id: str, webhook_id: str) -> None:
        response = self._call(
            "DELETE", f"/lists/{_seg(audience_id)}/webhooks/{_seg(webhook_id)}", _WEBHOOK
        )
        if response.status_code == 404:  # already gone is fine, unless the audience is
            self._require_audience(audience_id)
            return
        if not response.is_success:
            raise self._fail(response)

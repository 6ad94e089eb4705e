"""The Simulator: one in-memory MailChimp (login host + Marketing API + control API)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from .api import Api
from .control import control_routes
from .delivery import DEFAULT_RETRY_DELAYS, DeliveryRecord, DeliveryWorker, validate_url
from .errors import ApiError
from .events import cleaned_payload, member_payload
from .faults import MAX_CONNECTIONS, ConnectionLimiter, Fault, FaultBook
from .gate import FaultGate
from .members import MemberRefused, change_email, find, write_member
from .model import Account, Member, SimList
from .oauth import oauth_routes
from .stats import Stats
from .store import Store, utc_now

__all__ = ["Simulator", "SimulatorError"]

API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class SimulatorError(ValueError):
    """A control action that makes no sense in the current state (unknown member, ...)."""


class Simulator:
    def __init__(
        self,
        client_id: str = "demo-client-id",
        client_secret: str = "demo-client-secret",  # noqa: S107 - a local double
        public_url: str | None = None,
        *,
        latency: float = 0.0,
        delivery_transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        max_connections: int = MAX_CONNECTIONS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.latency = latency
        self.stats = Stats()
        self.faults = FaultBook()
        self._transport = delivery_transport
        self._delivery = DeliveryWorker(
            self.stats, self._webhook_gone, transport=delivery_transport, retry_delays=retry_delays
        )
        self.store = Store(self.stats, self._delivery.enqueue, clock)
        self.limiter = ConnectionLimiter(max_connections)
        api = Api(
            self.store,
            self.stats,
            self.limiter,
            lambda: self.latency,
            lambda url: validate_url(url, self._transport),
        )
        routes = [
            *oauth_routes(self.store, client_id, client_secret, self.public_url),
            *control_routes(self),
            Route("/3.0", api.handle, methods=API_METHODS),
            Route("/3.0/{rest:path}", api.handle, methods=API_METHODS),
        ]
        starlette = Starlette(routes=routes)
        self.app: ASGIApp = FaultGate(starlette, self.faults, self.stats)

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Stop the delivery worker (pending deliveries are dropped)."""
        self._delivery.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- set-up --------------------------------------------------------------------------
    @property
    def fake_addresses(self) -> set[str]:
        """Addresses refused as "looks fake or invalid" (besides bad syntax and *.invalid)."""
        return self.store.fake_addresses

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return self._delivery.retry_delays

    @retry_delays.setter
    def retry_delays(self, delays: Sequence[float]) -> None:
        self._delivery.retry_delays = tuple(delays)

    def create_account(self, login: str, account_name: str) -> Account:
        return self.store.create_account(login, account_name)

    def create_list(self, account_id: str, name: str, with_birthday: bool = False) -> SimList:
        return self.store.create_list(account_id, name, with_birthday=with_birthday)

    def issue_token(self, account_id: str) -> str:
        return self.store.issue_token(account_id)

    def approve_as(self, account_id: str) -> None:
        with self.store.lock:
            self.store.account(account_id)
            self.store.approving_account = account_id

    def revoke_tokens(self, account_id: str) -> int:
        return self.store.revoke_tokens(account_id)

    def inject_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- reading -------------------------------------------------------------------------
    def _list(self, list_id: str) -> SimList:
        try:
            return self.store.any_list(list_id)
        except KeyError:
            raise SimulatorError(f"unknown list {list_id}") from None

    def lists(self, account_id: str | None = None) -> list[dict[str, Any]]:
        with self.store.lock:
            return [
                lst.to_json()
                for lst in self.store.lists.values()
                if account_id is None or lst.account_id == account_id
            ]

    def members(self, list_id: str) -> list[dict[str, Any]]:
        """Every member, archived ones included, as the API renders them."""
        with self.store.lock:
            sim_list = self._list(list_id)
            return [sim_list.member_json(m) for m in sim_list.members.values()]

    def member(self, list_id: str, email: str) -> dict[str, Any] | None:
        with self.store.lock:
            sim_list = self._list(list_id)
            member = find(sim_list, email)
            return None if member is None else sim_list.member_json(member)

    def merge_fields(self, list_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            sim_list = self._list(list_id)
            return [f.to_json(list_id) for f in sim_list.merge_fields.values()]

    def tokens_of(self, account_id: str) -> list[str]:
        """The live access tokens of an account (tests check they are stored encrypted)."""
        with self.store.lock:
            return [t for t, a in self.store.tokens.items() if a == account_id]

    def webhooks(self, list_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            sim_list = self._list(list_id)
            return [w.to_json(list_id) for w in sim_list.webhooks.values()]

    @property
    def deliveries(self) -> list[DeliveryRecord]:
        """Every webhook POST attempt so far, oldest first."""
        return list(self._delivery.records)

    def state(self) -> dict[str, Any]:
        with self.store.lock:
            return {
                "accounts": [
                    {
                        "account_id": a.account_id,
                        "login": a.login,
                        "account_name": a.account_name,
                        "tokens": sum(1 for v in self.store.tokens.values() if v == a.account_id),
                        "lists": [
                            {
                                "list_id": lst.list_id,
                                "name": lst.name,
                                "members": len(lst.members),
                                "webhooks": [w.to_json(lst.list_id) for w in lst.webhooks.values()],
                            }
                            for lst in self.store.lists_of(a.account_id)
                        ],
                    }
                    for a in self.store.accounts.values()
                ],
                "approving_account": self.store.approving_account,
                "latency": self.latency,
                "faults": len(self.faults.pending()),
            }

    # -- what the audience's owner and subscribers do (fires webhooks) --------------------
    def _existing(self, list_id: str, email: str) -> tuple[SimList, Member]:
        sim_list = self._list(list_id)
        member = find(sim_list, email)
        if member is None or member.status == "archived":
            raise SimulatorError(f"{email} is not a member of list {list_id}")
        return sim_list, member

    def unsubscribe(
        self, list_id: str, email: str, reason: str = "manual", source: str = "user"
    ) -> None:
        """The subscriber unsubscribes (reason manual, or abuse for a spam complaint)."""
        with self.store.lock:
            sim_list, member = self._existing(list_id, email)
            if member.status not in ("subscribed", "pending", "transactional"):
                raise SimulatorError(f"{email} is {member.status}, not subscribed")
            now = self.store.clock()
            member.status = "unsubscribed"
            member.unsubscribe_reason = "Unspecified" if reason == "manual" else "Abuse"
            member.last_changed = now
            extra = [("data[action]", "unsub"), ("data[reason]", reason)]
            payload = member_payload("unsubscribe", now, sim_list, member, extra)
            self.store.emit(sim_list, "unsubscribe", source, payload)

    def clean(self, list_id: str, email: str, reason: str = "hard", source: str = "admin") -> None:
        """The address bounces (hard) or complains (abuse): the member is cleaned."""
        with self.store.lock:
            sim_list, member = self._existing(list_id, email)
            if member.status == "cleaned":
                raise SimulatorError(f"{email} is already cleaned")
            now = self.store.clock()
            member.status = "cleaned"
            member.last_changed = now
            payload = cleaned_payload(now, list_id, member.email, reason, secrets.token_hex(5))
            self.store.emit(sim_list, "cleaned", source, payload)

    def signup(
        self,
        list_id: str,
        email: str,
        merges: Mapping[str, Any] | None = None,
        source: str = "user",
    ) -> dict[str, Any]:
        """A person subscribes through the audience's signup form (also re-subscribes)."""
        with self.store.lock:
            sim_list = self._list(list_id)
            member = find(sim_list, email)
            if member is not None and member.status == "subscribed":
                raise SimulatorError(f"{email} is already subscribed")
            # Opting in again on the form is the way back for opted-out and forgotten people.
            sim_list.forgotten.discard(email.lower())
            if member is not None and member.status in ("unsubscribed", "cleaned", "archived"):
                member.status, member.status_before_archive = "archived", ""
            try:
                created, _ = write_member(
                    self.store,
                    sim_list,
                    email,
                    status="subscribed",
                    status_if_new=None,
                    merges=dict(merges or {}),
                    skip_merge_validation=True,
                    source=source,
                )
            except MemberRefused as refused:
                raise SimulatorError(refused.detail) from None
            return sim_list.member_json(created)

    def confirm(self, list_id: str, email: str) -> None:
        """A pending member clicks the opt-in confirmation link."""
        with self.store.lock:
            sim_list, member = self._existing(list_id, email)
            if member.status != "pending":
                raise SimulatorError(f"{email} is {member.status}, not pending")
            now = self.store.clock()
            member.status = "subscribed"
            member.timestamp_opt = now.isoformat(timespec="seconds")
            member.last_changed = now
            payload = member_payload("subscribe", now, sim_list, member)
            self.store.emit(sim_list, "subscribe", "user", payload)

    def update_profile(
        self, list_id: str, email: str, merges: Mapping[str, Any], source: str = "user"
    ) -> None:
        """The subscriber edits their profile (unknown tags are ignored)."""
        with self.store.lock:
            sim_list, member = self._existing(list_id, email)
            now = self.store.clock()
            for tag, value in merges.items():
                if sim_list.merge_field_by_tag(tag) is not None:
                    member.merges[tag] = value
            member.last_changed = now
            payload = member_payload("profile", now, sim_list, member)
            self.store.emit(sim_list, "profile", source, payload)

    def change_email(self, list_id: str, old: str, new: str, source: str = "user") -> None:
        """The subscriber changes address: upemail then profile webhooks."""
        with self.store.lock:
            sim_list, member = self._existing(list_id, old)
            try:
                change_email(self.store, sim_list, member, new, source)
            except ApiError as error:
                raise SimulatorError(error.detail) from None

    def delete_list(self, list_id: str) -> None:
        self._list(list_id)
        self.store.delete_list(list_id)

    def rename_list(self, list_id: str, new_name: str) -> None:
        with self.store.lock:
            self._list(list_id).name = new_name

    def delete_webhook(self, list_id: str, webhook_id: str) -> None:
        if not self.store.delete_webhook(list_id, webhook_id):
            raise SimulatorError(f"no webhook {webhook_id} on list {list_id}")

    def edit_webhook(
        self,
        list_id: str,
        webhook_id: str,
        url: str | None = None,
        events: Mapping[str, bool] | None = None,
        sources: Mapping[str, bool] | None = None,
    ) -> dict[str, Any]:
        """The owner edits the webhook in MailChimp's UI (no validation GET)."""
        with self.store.lock:
            sim_list = self._list(list_id)
            webhook = sim_list.webhooks.get(webhook_id)
            if webhook is None:
                raise SimulatorError(f"no webhook {webhook_id} on list {list_id}")
            if url is not None:
                webhook.url = url
            webhook.events.update(events or {})
            webhook.sources.update(sources or {})
            return webhook.to_json(list_id)

    # -- deliveries ----------------------------------------------------------------------
    def _webhook_gone(self, list_id: str, webhook_id: str) -> None:
        self.store.delete_webhook(list_id, webhook_id)

    def wait_deliveries(self, timeout: float = 5.0) -> bool:
        """True once no delivery is queued, waiting for a retry, or in flight."""
        return self._delivery.wait_idle(timeout)

    async def deliveries_idle(self, timeout: float = 5.0) -> bool:
        return await asyncio.to_thread(self._delivery.wait_idle, timeout)

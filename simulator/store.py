"""Accounts, tokens, audiences, merge fields and webhooks, behind one lock."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import VALIDATION_DETAIL, ApiError, invalid_resource, not_found
from .events import Pairs
from .model import EVENT_NAMES, SOURCE_NAMES, Account, SimList, SimMergeField, SimWebhook
from .stats import Stats

__all__ = ["AuthCode", "Deliver", "Store", "utc_now"]

Deliver = Callable[[str, str, str, Pairs], None]  # list_id, webhook_id, url, payload
MERGE_TYPES = (
    "text", "number", "address", "phone", "date", "url", "imageurl", "radio", "dropdown",
    "birthday", "zip",
)  # fmt: skip
CODE_LIFETIME = timedelta(minutes=10)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class AuthCode:
    account_id: str
    client_id: str
    redirect_uri: str
    expires_at: datetime


def _field_error(field: str, message: str) -> ApiError:
    return invalid_resource(VALIDATION_DETAIL, [{"field": field, "message": message}])


class Store:
    def __init__(self, stats: Stats, deliver: Deliver, clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self.stats = stats
        self.clock = clock
        self._deliver = deliver
        self.accounts: dict[str, Account] = {}
        self.lists: dict[str, SimList] = {}
        self.tokens: dict[str, str] = {}  # token -> account_id
        self.codes: dict[str, AuthCode] = {}
        self.approving_account: str | None = None
        self.fake_addresses: set[str] = set()

    # -- accounts and tokens -------------------------------------------------------------
    def create_account(self, login: str, account_name: str) -> Account:
        with self.lock:
            account = Account(
                account_id=secrets.token_hex(6),
                login=login,
                account_name=account_name,
                user_id=str(10_000_000 + len(self.accounts)),
            )
            self.accounts[account.account_id] = account
            return account

    def account(self, account_id: str) -> Account:
        with self.lock:
            try:
                return self.accounts[account_id]
            except KeyError:
                raise KeyError(f"unknown account {account_id!r}") from None

    def issue_token(self, account_id: str) -> str:
        with self.lock:
            self.account(account_id)
            token = secrets.token_hex(16)
            self.tokens[token] = account_id
            return token

    def account_for_token(self, token: str) -> Account | None:
        with self.lock:
            account_id = self.tokens.get(token)
            return None if account_id is None else self.accounts.get(account_id)

    def revoke_tokens(self, account_id: str) -> int:
        with self.lock:
            doomed = [t for t, a in self.tokens.items() if a == account_id]
            for token in doomed:
                del self.tokens[token]
            return len(doomed)

    def approving(self) -> Account:
        with self.lock:
            if self.approving_account in self.accounts:
                return self.accounts[self.approving_account]
            if self.accounts:
                return next(iter(self.accounts.values()))
            return self.create_account("demo@example.com", "Demo account")

    def issue_code(self, account_id: str, client_id: str, redirect_uri: str) -> str:
        with self.lock:
            code = secrets.token_hex(16)
            self.codes[code] = AuthCode(
                account_id, client_id, redirect_uri, self.clock() + CODE_LIFETIME
            )
            return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> str | None:
        """The account id, or None; a code is single-use and lives 10 minutes."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or grant.client_id != client_id:
                return None
            if grant.redirect_uri != redirect_uri:
                return None
            del self.codes[code]
            if grant.expires_at < self.clock():
                return None
            return grant.account_id

    # -- lists ---------------------------------------------------------------------------
    def create_list(
        self,
        account_id: str,
        name: str,
        *,
        with_birthday: bool = False,
        contact: dict[str, Any] | None = None,
        permission_reminder: str = "You signed up on our booking site.",
        campaign_defaults: dict[str, Any] | None = None,
        email_type_option: bool = False,
    ) -> SimList:
        with self.lock:
            account = self.account(account_id)
            sim_list = SimList(
                list_id=secrets.token_hex(5),
                web_id=100_000 + len(self.lists),
                account_id=account_id,
                name=name,
                contact=contact
                or {
                    "company": account.account_name,
                    "address1": "1 Main Street",
                    "address2": "",
                    "city": "Montreal",
                    "state": "QC",
                    "zip": "H2X 1Y4",
                    "country": "CA",
                    "phone": "",
                },
                permission_reminder=permission_reminder,
                campaign_defaults=campaign_defaults
                or {
                    "from_name": account.account_name,
                    "from_email": account.login,
                    "subject": "",
                    "language": "en",
                },
                email_type_option=email_type_option,
                date_created=self.clock(),
            )
            # Default fields (docs/mailchimp-api.md §3, [MF]); BIRTHDAY as seen in newer audiences.
            defaults: list[tuple[str, str, str, dict[str, Any]]] = [
                ("FNAME", "First Name", "text", {"size": 25}),
                ("LNAME", "Last Name", "text", {"size": 25}),
                ("ADDRESS", "Address", "address", {"default_country": 164}),
                ("PHONE", "Phone Number", "phone", {"phone_format": "none"}),
            ]
            if with_birthday:
                defaults.append(("BIRTHDAY", "Birthday", "birthday", {"date_format": "MM/DD"}))
            for tag, label, kind, options in defaults:
                self._add_merge_field(sim_list, tag=tag, name=label, kind=kind, options=options)
            self.lists[sim_list.list_id] = sim_list
            return sim_list

    def list_for(self, account_id: str, list_id: str) -> SimList:
        with self.lock:
            sim_list = self.lists.get(list_id)
            if sim_list is None or sim_list.account_id != account_id:
                raise not_found()
            return sim_list

    def any_list(self, list_id: str) -> SimList:
        with self.lock:
            try:
                return self.lists[list_id]
            except KeyError:
                raise KeyError(f"unknown list {list_id!r}") from None

    def lists_of(self, account_id: str) -> list[SimList]:
        with self.lock:
            return [lst for lst in self.lists.values() if lst.account_id == account_id]

    def delete_list(self, list_id: str) -> None:
        with self.lock:
            self.lists.pop(list_id, None)

    # -- merge fields --------------------------------------------------------------------
    def _add_merge_field(
        self,
        sim_list: SimList,
        *,
        tag: str,
        name: str,
        kind: str,
        options: dict[str, Any],
        required: bool = False,
        default_value: str = "",
        public: bool = True,
        help_text: str = "",
    ) -> SimMergeField:
        merge_field = SimMergeField(
            merge_id=sim_list.next_merge_id,
            tag=tag,
            name=name,
            type=kind,
            required=required,
            default_value=default_value,
            public=public,
            display_order=sim_list.next_merge_id + 1,
            options=options,
            help_text=help_text,
        )
        sim_list.merge_fields[merge_field.merge_id] = merge_field
        sim_list.next_merge_id += 1
        return merge_field

    def create_merge_field(self, sim_list: SimList, body: dict[str, Any]) -> SimMergeField:
        name, kind = body.get("name"), body.get("type")
        if not isinstance(name, str) or not name.strip():
            raise _field_error("name", "This value should not be blank.")
        if kind not in MERGE_TYPES:
            raise _field_error("type", f"Value is not one of the allowed: {', '.join(MERGE_TYPES)}")
        raw_tag = body.get("tag")
        if raw_tag is not None and not isinstance(raw_tag, str):
            raise _field_error(
                "tag", "Schema describes string, " + type(raw_tag).__name__ + " found instead"
            )
        # ASSUMPTION: generated tags are the uppercased name without spaces, at most 10 chars.
        tag = (raw_tag or "".join(ch for ch in name.upper() if ch.isalnum()))[:10].upper()
        options = dict(body.get("options") or {})
        if kind == "birthday":
            options.setdefault("date_format", "MM/DD")
        with self.lock:
            if tag == "EMAIL" or sim_list.merge_field_by_tag(tag) is not None:
                raise invalid_resource(
                    f'A Merge Field with the tag "{tag}" already exists for this list.'
                )
            return self._add_merge_field(
                sim_list,
                tag=tag,
                name=name,
                kind=str(kind),
                options=options,
                required=bool(body.get("required", False)),
                default_value=str(body.get("default_value", "")),
                public=bool(body.get("public", True)),
                help_text=str(body.get("help_text", "")),
            )

    def merge_field(self, sim_list: SimList, merge_id: str) -> SimMergeField:
        with self.lock:
            if not merge_id.isdigit() or int(merge_id) not in sim_list.merge_fields:
                raise not_found()
            return sim_list.merge_fields[int(merge_id)]

    def patch_merge_field(
        self, sim_list: SimList, merge_id: str, body: dict[str, Any]
    ) -> SimMergeField:
        with self.lock:
            merge_field = self.merge_field(sim_list, merge_id)
            if "name" in body:
                if not isinstance(body["name"], str) or not body["name"].strip():
                    raise _field_error("name", "This value should not be blank.")
                merge_field.name = body["name"]
            if "tag" in body and body["tag"] != merge_field.tag:
                tag = str(body["tag"]).upper()[:10]
                if tag == "EMAIL" or sim_list.merge_field_by_tag(tag) is not None:
                    raise invalid_resource(
                        f'A Merge Field with the tag "{tag}" already exists for this list.'
                    )
                merge_field.tag = tag
            for key in ("required", "public"):
                if key in body:
                    setattr(merge_field, key, bool(body[key]))
            for key in ("default_value", "help_text"):
                if key in body:
                    setattr(merge_field, key, str(body[key]))
            if isinstance(body.get("options"), dict):
                merge_field.options.update(body["options"])
            return merge_field

    def delete_merge_field(self, sim_list: SimList, merge_id: str) -> None:
        with self.lock:
            merge_field = self.merge_field(sim_list, merge_id)
            del sim_list.merge_fields[merge_field.merge_id]

    # -- webhooks ------------------------------------------------------------------------
    def check_webhook_body(
        self, sim_list: SimList, body: dict[str, Any], *, creating: bool, webhook_id: str = ""
    ) -> None:
        url = body.get("url")
        if creating or "url" in body:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise _field_error("url", "A valid URL for the Webhook is required.")
            with self.lock:
                for other in sim_list.webhooks.values():
                    if other.url == url and other.webhook_id != webhook_id:
                        # ASSUMPTION: wording; MailChimp refuses a second webhook on one URL.
                        raise _field_error("url", "A webhook with this URL already exists.")
        for group, names in (("events", EVENT_NAMES), ("sources", SOURCE_NAMES)):
            if group not in body:
                continue
            value = body[group]
            if not isinstance(value, dict):
                raise _field_error(group, f"Schema describes object, {type(value).__name__} found")
            for key, flag in value.items():
                if key not in names:
                    raise _field_error(f"{group}.{key}", "Unknown property")
                if not isinstance(flag, bool):
                    raise _field_error(f"{group}.{key}", "Schema describes boolean")

    def add_webhook(self, sim_list: SimList, body: dict[str, Any]) -> SimWebhook:
        # ASSUMPTION: an omitted `events` means every event but campaign, an omitted
        # `sources` means user and admin; inside a given object, omitted keys are false.
        events = {name: name != "campaign" for name in EVENT_NAMES}
        if "events" in body:
            events = {name: bool(body["events"].get(name, False)) for name in EVENT_NAMES}
        sources = {"user": True, "admin": True, "api": False}
        if "sources" in body:
            sources = {name: bool(body["sources"].get(name, False)) for name in SOURCE_NAMES}
        with self.lock:
            webhook = SimWebhook(secrets.token_hex(5), str(body["url"]), events, sources)
            sim_list.webhooks[webhook.webhook_id] = webhook
            return webhook

    def webhook(self, sim_list: SimList, webhook_id: str) -> SimWebhook:
        with self.lock:
            if webhook_id not in sim_list.webhooks:
                raise not_found()
            return sim_list.webhooks[webhook_id]

    def update_webhook(
        self, sim_list: SimList, webhook_id: str, body: dict[str, Any]
    ) -> SimWebhook:
        with self.lock:
            webhook = self.webhook(sim_list, webhook_id)
            if "url" in body:
                webhook.url = str(body["url"])
            if isinstance(body.get("events"), dict):
                webhook.events.update({k: bool(v) for k, v in body["events"].items()})
            if isinstance(body.get("sources"), dict):
                webhook.sources.update({k: bool(v) for k, v in body["sources"].items()})
            return webhook

    def delete_webhook(self, list_id: str, webhook_id: str) -> bool:
        with self.lock:
            sim_list = self.lists.get(list_id)
            if sim_list is None:
                return False
            return sim_list.webhooks.pop(webhook_id, None) is not None

    def emit(self, sim_list: SimList, event: str, source: str, payload: Pairs) -> int:
        """Queue `payload` for every webhook subscribed to this event and source."""
        with self.lock:
            targets = [
                w
                for w in sim_list.webhooks.values()
                if w.events.get(event, False) and w.sources.get(source, False)
            ]
        for webhook in targets:
            self._deliver(sim_list.list_id, webhook.webhook_id, webhook.url, payload)
        return len(targets)

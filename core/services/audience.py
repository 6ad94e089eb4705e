"""The audience contract (R1, R2, R6) and the webhook watchdog (R5)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from calendarspots_mailchimp.core.errors import AudienceContractError, ConfigurationError
from calendarspots_mailchimp.core.model import Audience, MergeField, Tenant
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceNotFound,
    AudienceSummary,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
    Webhook,
    WebhookSpec,
)

# R2: what the audience must have. EMAIL is every audience's key and never appears in the
# merge-fields API (API-NOTES §3), so it is checked by the audience existing at all.
REQUIRED_FIELDS: tuple[MergeField, ...] = (
    MergeField(tag="FNAME", name="First Name", type="text"),
    MergeField(tag="LNAME", name="Last Name", type="text"),
    MergeField(tag="BIRTHDAY", name="Birthday", type="birthday"),
)

# R5: the events the plugin listens to, and only user/admin sources so its own API writes
# never echo back (API-NOTES §6.1).
WEBHOOK_EVENTS = frozenset({"unsubscribe", "cleaned", "subscribe", "profile", "upemail"})
WEBHOOK_SOURCES = frozenset({"user", "admin"})
WEBHOOK_PATH = "/webhooks/mailchimp"


# A salt written by schema 0001, which stored the webhook secret itself: still accepted, and
# replaced by a derived secret at the tenant's next sync.
LEGACY_SALT_PREFIX = "plain:"


def new_webhook_salt() -> str:
    """128 random bits. Only the salt is stored; the secret is derived from it (below)."""
    return secrets.token_urlsafe(16)


def webhook_secret(secret_key: str, tenant: Tenant) -> str:
    """The secret in the tenant's webhook URL: HMAC-SHA256(CS_MAILCHIMP_SECRET_KEY, tenant id +
    stored salt), 256 bits, URL-safe. Neither the database alone nor the key alone gives it,
    and a new key gives every tenant a new URL, which the next sync installs (R5)."""
    return _derived(secret_key, tenant.tenant_id, tenant.webhook_salt)


def accepted_webhook_secrets(secret_key: str, tenant: Tenant) -> list[str]:
    """The current secret and, while the webhook moves to a new address, the previous one."""
    secrets_ = [webhook_secret(secret_key, tenant)]
    if tenant.webhook_salt_previous:
        secrets_.append(_derived(secret_key, tenant.tenant_id, tenant.webhook_salt_previous))
    return [s for s in secrets_ if s]


def _derived(secret_key: str, tenant_id: str, salt: str) -> str:
    if not salt:
        return ""
    if salt.startswith(LEGACY_SALT_PREFIX):
        return salt[len(LEGACY_SALT_PREFIX) :]
    if not secret_key:
        raise ConfigurationError(
            "CS_MAILCHIMP_SECRET_KEY is not set: the webhook's secret is derived from it"
        )
    key = hashlib.sha256(b"calendarspots-mailchimp webhook\x00" + secret_key.encode()).digest()
    message = f"{tenant_id}\x00{salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def account_id_or_blank(account: MailChimpAccount) -> str:
    """MailChimp's id of the account, or "" when the API root will not say: callers fall
    back to data center and name, or ask again later. A revoked token still raises."""
    try:
        return account.account_id()
    except TokenRevoked:
        raise
    except MailChimpError:
        return ""


def webhook_url(public_url: str, tenant_id: str, secret: str) -> str:
    return f"{public_url.rstrip('/')}{WEBHOOK_PATH}/{tenant_id}/{secret}"


def webhook_spec(public_url: str, secret_key: str, tenant: Tenant) -> WebhookSpec:
    return WebhookSpec(
        url=webhook_url(public_url, tenant.tenant_id, webhook_secret(secret_key, tenant)),
        events=WEBHOOK_EVENTS,
        sources=WEBHOOK_SOURCES,
    )


def find_audience(audiences: list[AudienceSummary], list_name: str) -> AudienceSummary:
    """R1: exactly one audience with exactly this name."""
    exact = [a for a in audiences if a.name == list_name]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        ids = ", ".join(a.audience_id for a in exact)
        raise AudienceContractError(
            f"your MailChimp account has {len(exact)} audiences named {list_name!r} (ids {ids}): "
            f"there must be only one. Rename or delete the extra ones in MailChimp, then try again.",
            problems=("duplicate-audience",),
        )
    folded = list_name.strip().casefold()
    near = [a.name for a in audiences if a.name.strip().casefold() == folded]
    hint = ""
    if near:
        shown = ", ".join(repr(n) for n in near)
        hint = f" An audience is named {shown}: rename it to exactly {list_name!r}."
    raise AudienceContractError(
        f"no audience named {list_name!r} in your MailChimp account. In MailChimp, create an "
        f"audience (list) named exactly {list_name!r}, then authorize again.{hint}",
        problems=("missing-audience",),
    )


@dataclass(frozen=True)
class FieldProblem:
    tag: str
    problem: str  # "missing" | "wrong-type"
    found_type: str = ""

    def describe(self) -> str:
        wanted = next(f for f in REQUIRED_FIELDS if f.tag == self.tag)
        if self.problem == "missing":
            return f"{self.tag} ({wanted.name}, type {wanted.type}) is missing"
        return f"{self.tag} has type {self.found_type!r}, it must be {wanted.type!r}"


def field_problems(fields: list[MergeField]) -> list[FieldProblem]:
    by_tag = {f.tag.upper(): f for f in fields}
    problems: list[FieldProblem] = []
    for wanted in REQUIRED_FIELDS:
        found = by_tag.get(wanted.tag)
        if found is None:
            problems.append(FieldProblem(wanted.tag, "missing"))
        elif found.type != wanted.type:
            problems.append(FieldProblem(wanted.tag, "wrong-type", found.type))
    return problems


def describe_field_problems(tenant: Tenant, problems: list[FieldProblem]) -> str:
    listed = "; ".join(p.describe() for p in problems)
    return (
        f"the audience {tenant.list_name!r} does not have the fields the sync needs: {listed}. "
        "In MailChimp open the audience's Settings → Audience fields and *|MERGE|* tags and add "
        f"or fix them (or run `cs-mailchimp check {tenant.tenant_id} --fix` to add missing "
        "ones)."
    )


def check_audience(
    account: MailChimpAccount, tenant: Tenant, list_name: str
) -> tuple[Audience, list[FieldProblem]]:
    """R1 + R6 (known audience gone or renamed) + R2. Raises AudienceContractError for R1/R6;
    returns the merge-field problems for R2 so `--fix` can act on them."""
    audiences = account.audiences()
    if tenant.audience_id:
        known = next((a for a in audiences if a.audience_id == tenant.audience_id), None)
        if known is None:
            raise AudienceContractError(
                f"the MailChimp audience {list_name!r} (id {tenant.audience_id}) was deleted. "
                f"Do not delete the {list_name!r} audience: create it again in MailChimp with "
                "the fields EMAIL, FNAME, LNAME and BIRTHDAY, then authorize again.",
                problems=("audience-deleted",),
            )
        if known.name != list_name:
            raise AudienceContractError(
                f"the MailChimp audience {list_name!r} (id {tenant.audience_id}) was renamed to "
                f"{known.name!r}. Rename it back to exactly {list_name!r} in MailChimp; the next "
                "sync will then go through.",
                problems=("audience-renamed",),
            )
    summary = find_audience(audiences, list_name)
    fields = account.merge_fields(summary.audience_id)
    audience = Audience(summary.audience_id, summary.name, tuple(fields))
    return audience, field_problems(fields)


def fix_fields(
    account: MailChimpAccount, audience_id: str, problems: list[FieldProblem]
) -> list[str]:
    """Creates missing fields; wrong-typed ones are left for the owner (changing a field's type
    would lose its data). Returns the tags created."""
    created: list[str] = []
    for problem in problems:
        if problem.problem != "missing":
            continue
        wanted = next(f for f in REQUIRED_FIELDS if f.tag == problem.tag)
        account.create_merge_field(audience_id, wanted)
        created.append(wanted.tag)
    return created


@dataclass(frozen=True)
class WebhookOutcome:
    action: str  # "ok" | "installed" | "repaired"
    webhook: Webhook
    what: tuple[str, ...] = ()


def ensure_webhook(
    account: MailChimpAccount,
    audience_id: str,
    spec: WebhookSpec,
    public_url: str,
    known_webhook_id: str = "",
) -> WebhookOutcome:
    """R5: exactly one correct webhook. Ours are recognised by id or by the plugin's URL path
    on this public URL; any that are edited are put back, duplicates are deleted."""
    prefix = f"{public_url.rstrip('/')}{WEBHOOK_PATH}/"
    tenant_part = spec.url[len(prefix) :].split("/", 1)[0]
    hooks = account.webhooks(audience_id)
    ours = [
        h
        for h in hooks
        if h.webhook_id == known_webhook_id
        or (h.url.startswith(prefix) and h.url[len(prefix) :].split("/", 1)[0] == tenant_part)
    ]
    exact = [h for h in ours if h.matches(spec)]
    what: list[str] = []
    if exact:
        keep = exact[0]
        for extra in ours:
            if extra.webhook_id != keep.webhook_id:
                account.delete_webhook(audience_id, extra.webhook_id)
                what.append("duplicate removed")
        return WebhookOutcome("repaired" if what else "ok", keep, tuple(what))
    if ours:
        first = ours[0]
        if first.url != spec.url:
            what.append("URL changed")
        if first.events != spec.events:
            what.append("events changed")
        if first.sources != spec.sources:
            what.append("sources changed")
        # The right webhook exists before the wrong ones go: if MailChimp refuses the new one
        # (it must reach the URL), the old, edited one keeps delivering meanwhile.
        duplicated = len(ours) > 1
        same_url = next((h for h in ours if h.url == spec.url), None)
        if same_url is not None:
            # MailChimp refuses a second webhook with the same URL: put this one right.
            try:
                fixed = account.update_webhook(audience_id, same_url.webhook_id, spec)
            except (TokenRevoked, AudienceNotFound):
                raise
            except MailChimpError:
                # Not editable in place (refused, or PATCH not offered): recreate it.
                account.delete_webhook(audience_id, same_url.webhook_id)
                ours = [h for h in ours if h.webhook_id != same_url.webhook_id]
                fixed = account.create_webhook(audience_id, spec)
        else:
            fixed = account.create_webhook(audience_id, spec)
        for hook in ours:
            if hook.webhook_id != fixed.webhook_id:
                account.delete_webhook(audience_id, hook.webhook_id)
        if duplicated:
            what.append("duplicate removed")
        if not fixed.matches(spec):
            # MailChimp kept something else than asked: start again from a clean slate.
            account.delete_webhook(audience_id, fixed.webhook_id)
            fixed = account.create_webhook(audience_id, spec)
        return WebhookOutcome("repaired", fixed, tuple(what))
    created = account.create_webhook(audience_id, spec)
    return WebhookOutcome(
        "installed" if not known_webhook_id else "repaired",
        created,
        ("missing",) if known_webhook_id else (),
    )

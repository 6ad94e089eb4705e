"""The audience contract (R1, R2, R6): exactly one audience by name, with its fields."""

from __future__ import annotations

from dataclasses import dataclass

from calendarspots_mailchimp.core.errors import AudienceContractError
from calendarspots_mailchimp.core.model import Audience, MergeField, Tenant
from calendarspots_mailchimp.ports.mailchimp import (
    AudienceSummary,
    MailChimpAccount,
    MailChimpError,
    TokenRevoked,
)

# R2: what the audience must have. EMAIL is every audience's key and never appears in the
# merge-fields API (docs/mailchimp-api.md §3), so it is checked by the audience existing at all.
REQUIRED_FIELDS: tuple[MergeField, ...] = (
    MergeField(tag="FNAME", name="First Name", type="text"),
    MergeField(tag="LNAME", name="Last Name", type="text"),
    MergeField(tag="BIRTHDAY", name="Birthday", type="birthday"),
)


def account_id_or_blank(account: MailChimpAccount) -> str:
    """MailChimp's id of the account, or "" when the API root will not say: callers fall
    back to data center and name, or ask again later. A revoked token still raises."""
    try:
        return account.account_id()
    except TokenRevoked:
        raise
    except MailChimpError:
        return ""


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
            code="audience.duplicate",
            facts={"count": len(exact), "list": list_name, "ids": ids},
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
        code="audience.missing",
        facts={"list": list_name, "near": near},
    )


@dataclass(frozen=True)
class FieldProblem:
    tag: str
    problem: str  # "missing" | "wrong-type"
    found_type: str = ""

    def facts(self) -> dict[str, str]:
        wanted = next(f for f in REQUIRED_FIELDS if f.tag == self.tag)
        return {"tag": self.tag, "problem": self.problem, "found": self.found_type} | {
            "name": wanted.name,
            "type": wanted.type,
        }

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


def fields_error(tenant: Tenant, problems: list[FieldProblem]) -> AudienceContractError:
    """R2 broken: the fields the sync needs, missing or of another type."""
    return AudienceContractError(
        describe_field_problems(tenant, problems),
        problems=tuple(p.tag for p in problems),
        code="audience.fields",
        facts={
            "list": tenant.list_name,
            "tenant": tenant.tenant_id,
            "fields": [p.facts() for p in problems],
        },
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
                code="audience.deleted",
                facts={"list": list_name, "id": tenant.audience_id},
            )
        if known.name != list_name:
            raise AudienceContractError(
                f"the MailChimp audience {list_name!r} (id {tenant.audience_id}) was renamed to "
                f"{known.name!r}. Rename it back to exactly {list_name!r} in MailChimp; the next "
                "sync will then go through.",
                problems=("audience-renamed",),
                code="audience.renamed",
                facts={"list": list_name, "id": tenant.audience_id, "name": known.name},
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

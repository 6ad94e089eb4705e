from __future__ import annotations

from dataclasses import replace

import pytest

from calendarspots_mailchimp.core.errors import AudienceContractError, ConfigurationError
from calendarspots_mailchimp.core.model import MergeField, Tenant
from calendarspots_mailchimp.core.services.audience import field_problems, find_audience
from calendarspots_mailchimp.core.services.webhook_address import webhook_secret
from calendarspots_mailchimp.ports.mailchimp import AudienceSummary


def test_exactly_one_audience_with_the_exact_name() -> None:
    found = find_audience(
        [AudienceSummary("a1", "Other"), AudienceSummary("a2", "calendarspots")], "calendarspots"
    )
    assert found.audience_id == "a2"


def test_no_audience_tells_the_owner_to_create_it_and_names_near_misses() -> None:
    with pytest.raises(AudienceContractError) as info:
        find_audience([AudienceSummary("a1", "Calendarspots ")], "calendarspots")
    assert "create" in info.value.message
    assert "'Calendarspots '" in info.value.message


def test_two_audiences_with_the_name_are_refused() -> None:
    with pytest.raises(AudienceContractError, match="only one"):
        find_audience(
            [AudienceSummary("a1", "calendarspots"), AudienceSummary("a2", "calendarspots")],
            "calendarspots",
        )


def test_each_missing_or_wrong_field_is_named() -> None:
    problems = field_problems(
        [MergeField("FNAME", "First Name", "text"), MergeField("BIRTHDAY", "Birthday", "date")]
    )
    assert [(p.tag, p.problem) for p in problems] == [
        ("LNAME", "missing"),
        ("BIRTHDAY", "wrong-type"),
    ]
    assert "must be 'birthday'" in problems[1].describe()
    assert (
        field_problems(
            [
                MergeField("FNAME", "F", "text"),
                MergeField("LNAME", "L", "text"),
                MergeField("BIRTHDAY", "B", "birthday"),
            ]
        )
        == []
    )


def test_the_webhook_secret_is_derived_from_the_key_the_tenant_and_the_salt() -> None:
    key = "k" * 32
    salon = Tenant("salon", "Salon", "UTC", webhook_salt="salt-1")
    secret = webhook_secret(key, salon)
    assert len(secret) == 43 and secret.replace("-", "").replace("_", "").isalnum()
    assert secret == webhook_secret(key, salon)  # stable: the URL only changes on purpose
    others = {
        webhook_secret("j" * 32, salon),
        webhook_secret(key, replace(salon, webhook_salt="salt-2")),
        webhook_secret(key, replace(salon, tenant_id="spa")),
    }
    assert secret not in others and len(others) == 3
    assert secret not in (key, "salt-1")
    assert webhook_secret(key, replace(salon, webhook_salt="")) == ""
    assert webhook_secret(key, replace(salon, webhook_salt="plain:old")) == "old"
    with pytest.raises(ConfigurationError, match="CS_MAILCHIMP_SECRET_KEY"):
        webhook_secret("", salon)

from __future__ import annotations

import pytest

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import (
    Birthday,
    Client,
    MemberStatus,
    is_valid_email,
    subscriber_hash,
    validate_timezone,
)


def test_subscriber_hash_is_md5_of_the_lowercase_address() -> None:
    # The test vector of MailChimp's own guide (docs/mailchimp-api.md §4.1).
    assert subscriber_hash("Urist.McVankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"
    assert subscriber_hash(" URIST.MCVANKAB@FREDDIESJOKES.COM ") == subscriber_hash(
        "urist.mcvankab@freddiesjokes.com"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-05-15", "05/15"),
        ("05-15", "05/15"),
        ("1992-02-29", "02/29"),
        ("02-29", "02/29"),
        ("7-4", "07/04"),
    ],
)
def test_birthdays_go_to_mailchimp_as_month_slash_day(raw: str, expected: str) -> None:
    birthday = Birthday.parse(raw)
    assert birthday is not None
    assert birthday.mailchimp() == expected


@pytest.mark.parametrize("raw", ["1991-02-29", "13-01", "2000-04-31", "15/05/1990", "May 5"])
def test_impossible_or_unknown_birthdays_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        Birthday.parse(raw)


def test_empty_birthday_means_unknown() -> None:
    assert Birthday.parse("  ") is None
    assert Client("c1", "a@example.com").merge_fields()["BIRTHDAY"] == ""


@pytest.mark.parametrize(
    "email", ["a@example.com", "o'neil@example.co.uk", "first.last+tag@sub.example.org"]
)
def test_valid_addresses(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    ["", "plain", "a@b", "a @example.com", "a@example..com", "a@@example.com", ".a@example.com"],
)
def test_invalid_addresses(email: str) -> None:
    assert not is_valid_email(email)


def test_content_hash_changes_with_pushed_fields_only() -> None:
    base = Client("c1", "Ann@Example.com", "Ann", "D'Amour", Birthday(5, 1, 1990))
    assert (
        base.content_hash()
        == Client("c1", "ann@example.com", "Ann", "D'Amour", Birthday(5, 1)).content_hash()
    )
    assert (
        base.content_hash()
        != Client("c1", "ann@example.com", "Anne", "D'Amour", Birthday(5, 1)).content_hash()
    )
    assert (
        base.content_hash()
        != Client("c1", "ann2@example.com", "Ann", "D'Amour", Birthday(5, 1)).content_hash()
    )


def test_opted_out_statuses() -> None:
    assert MemberStatus.UNSUBSCRIBED.opted_out and MemberStatus.CLEANED.opted_out
    assert not MemberStatus.PENDING.opted_out and not MemberStatus.SUBSCRIBED.opted_out


def test_time_zones_are_validated() -> None:
    assert validate_timezone("Europe/Paris") == "Europe/Paris"
    with pytest.raises(InvalidInput, match="unknown time zone"):
        validate_timezone("Mars/Olympus")

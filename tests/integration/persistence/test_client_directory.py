"""The embedded client directory: import rules, marks, streaming."""

from __future__ import annotations

import random
import string
from datetime import timedelta, timezone

import pytest

from calendarspots_mailchimp.adapters.persistence.client_directory import (
    EmbeddedClientDirectory,
)
from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import Birthday, Client, NewsletterStatus
from calendarspots_mailchimp.ports.clock import FixedClock

UNSUBSCRIBED = NewsletterStatus.UNSUBSCRIBED
CLEANED = NewsletterStatus.CLEANED
SUBSCRIBED = NewsletterStatus.SUBSCRIBED


def listed(directory: EmbeddedClientDirectory, tenant_id: str = "acme") -> list[Client]:
    return list(directory.all(tenant_id))


def test_new_clients_are_added_with_their_fields(directory: EmbeddedClientDirectory) -> None:
    zoe = Client("c1", "Zoé.O'Brien@Exemple.ca", "Zoé", "O'Brien", Birthday(2, 29), UNSUBSCRIBED)
    andre = Client("c2", "andre@exemple.ca", "André", "Côté-L'Heureux", Birthday(12, 31, 1980))
    assert directory.upsert("acme", [zoe, andre]) == (2, 0)
    assert listed(directory) == [zoe, andre]


def test_missing_client_ids_are_generated(directory: EmbeddedClientDirectory) -> None:
    assert directory.upsert("acme", [Client("", "a@x.com"), Client("", "b@x.com")]) == (2, 0)
    ids = [client.client_id for client in listed(directory)]
    assert len(set(ids)) == 2
    assert all(len(client_id) == 32 and int(client_id, 16) >= 0 for client_id in ids)


def test_update_by_client_id_may_change_the_email(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "old@x.com", "Ann")])
    assert directory.upsert("acme", [Client("c1", "New@X.com", "Anne", "Roy")]) == (0, 1)
    assert listed(directory) == [Client("c1", "New@X.com", "Anne", "Roy")]


def test_update_by_email_ignores_case_and_keeps_the_stored_id(
    directory: EmbeddedClientDirectory,
) -> None:
    directory.upsert("acme", [Client("c1", "Zoé@Exemple.ca", "Zoé")])
    assert directory.upsert("acme", [Client("", "zoé@exemple.ca", "Zoé", "Roy")]) == (0, 1)
    assert directory.upsert("acme", [Client("other-id", "ZOÉ@EXEMPLE.CA", "Zoé", "Roy")]) == (
        0,
        1,
    )
    assert listed(directory) == [Client("c1", "ZOÉ@EXEMPLE.CA", "Zoé", "Roy")]


def test_reimport_never_changes_the_newsletter_status(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "a@x.com", "Ann")])
    assert directory.mark_unsubscribed("acme", "A@X.COM") is not None
    assert directory.upsert("acme", [Client("c1", "a@x.com", "Annie", newsletter=SUBSCRIBED)]) == (
        0,
        1,
    )
    assert listed(directory) == [Client("c1", "a@x.com", "Annie", newsletter=UNSUBSCRIBED)]


def test_unchanged_rows_are_not_counted_and_keep_their_timestamp(
    directory: EmbeddedClientDirectory, clock: FixedClock
) -> None:
    client = Client("c1", "a@x.com", "Ann", birthday=Birthday(5, 1))
    directory.upsert("acme", [client])
    clock.advance(hours=1)
    assert directory.upsert("acme", [client]) == (0, 0)
    assert list(directory.clients("acme", changed_since=clock.now())) == []


def test_duplicates_within_one_import_collapse_into_one_client(
    directory: EmbeddedClientDirectory,
) -> None:
    batch = [Client("", "dup@x.com", "First"), Client("", "DUP@x.com", "Second")]
    assert directory.upsert("acme", batch) == (1, 0)
    [client] = listed(directory)
    assert (client.email, client.first_name) == ("DUP@x.com", "Second")


def test_two_clients_cannot_share_an_email(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "a@x.com"), Client("c2", "b@x.com")])
    with pytest.raises(InvalidInput, match="already has that address"):
        directory.upsert("acme", [Client("c1", "B@X.com")])
    # The whole import was one transaction: nothing changed.
    assert [c.email for c in listed(directory)] == ["a@x.com", "b@x.com"]


def test_emails_can_be_swapped_in_one_import(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "a@x.com"), Client("c2", "b@x.com")])
    # c1 first leaves a@ for t@, c2 takes a@, c1 takes b@.
    batch = [Client("c1", "t@x.com"), Client("c2", "a@x.com"), Client("c1", "b@x.com")]
    assert directory.upsert("acme", batch) == (0, 2)
    assert [(c.client_id, c.email) for c in listed(directory)] == [
        ("c1", "b@x.com"),
        ("c2", "a@x.com"),
    ]


def test_tenants_are_separate_and_may_share_emails(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "same@x.com", "Acme's")])
    assert directory.upsert("bravo", [Client("c1", "SAME@x.com", "Bravo's")]) == (1, 0)
    directory.mark_cleaned("bravo", "same@x.com")
    assert listed(directory, "acme") == [Client("c1", "same@x.com", "Acme's")]
    assert listed(directory, "bravo") == [Client("c1", "SAME@x.com", "Bravo's", newsletter=CLEANED)]


def test_marks_find_by_email_are_idempotent_and_bump_the_watermark(
    directory: EmbeddedClientDirectory, clock: FixedClock
) -> None:
    directory.upsert("acme", [Client("c1", "Zoé@Exemple.ca"), Client("c2", "b@x.com")])
    clock.advance(minutes=5)
    marked_at = clock.now()
    unsubscribed = directory.mark_unsubscribed("acme", "  zoé@exemple.CA ")
    assert unsubscribed == Client("c1", "Zoé@Exemple.ca", newsletter=UNSUBSCRIBED)
    assert [c.client_id for c in directory.clients("acme", changed_since=marked_at)] == ["c1"]
    clock.advance(minutes=5)
    assert directory.mark_unsubscribed("acme", "ZOÉ@exemple.ca") == unsubscribed
    assert list(directory.clients("acme", changed_since=clock.now())) == []
    cleaned = directory.mark_cleaned("acme", "zoé@exemple.ca")
    assert cleaned is not None
    assert cleaned.newsletter is CLEANED
    resubscribed = directory.set_newsletter("acme", "ZOÉ@EXEMPLE.CA", SUBSCRIBED)
    assert resubscribed is not None
    assert resubscribed.newsletter is SUBSCRIBED
    assert directory.get("acme", "c1") == resubscribed
    assert directory.mark_unsubscribed("acme", "nobody@x.com") is None
    assert directory.mark_cleaned("bravo", "zoé@exemple.ca") is None


def test_changed_since_streams_only_recent_changes_in_id_order(
    directory: EmbeddedClientDirectory, clock: FixedClock
) -> None:
    directory.upsert("acme", [Client(f"c{n}", f"p{n}@x.com") for n in (3, 1, 2)])
    clock.advance(days=1)
    watermark = clock.now()
    directory.upsert("acme", [Client("c2", "p2@x.com", "changed"), Client("c0", "p0@x.com")])
    recent = list(directory.clients("acme", changed_since=watermark))
    assert [c.client_id for c in recent] == ["c0", "c2"]
    assert [c.client_id for c in directory.clients("acme")] == ["c0", "c1", "c2", "c3"]
    later = watermark + timedelta(seconds=1)
    assert list(directory.clients("acme", changed_since=later)) == []


def test_ten_thousand_clients_import_and_stream(directory: EmbeddedClientDirectory) -> None:
    batch = [
        Client(f"id-{n:05d}", f"Person.{n}@Exemple.ca", "Prénom", "D'Arc") for n in range(10_000)
    ]
    assert directory.upsert("acme", batch) == (10_000, 0)
    again = [Client("", f"person.{n}@exemple.ca", "Prénom", "D'Arc") for n in range(0, 10_000, 2)]
    assert directory.upsert("acme", again) == (0, 5_000)
    streamed = directory.clients("acme")
    first = next(streamed)
    assert first == Client("id-00000", "person.0@exemple.ca", "Prénom", "D'Arc")
    rest = list(streamed)
    assert len(rest) == 9_999
    assert rest[-1] == batch[-1]


def test_datetimes_in_any_offset_work_as_watermarks(
    directory: EmbeddedClientDirectory, clock: FixedClock
) -> None:
    directory.upsert("acme", [Client("c1", "a@x.com")])
    montreal = timezone(timedelta(hours=-5))
    same_instant = clock.now().astimezone(montreal)
    a_second_later = (clock.now() + timedelta(seconds=1)).astimezone(montreal)
    assert [c.client_id for c in directory.clients("acme", changed_since=same_instant)] == ["c1"]
    assert list(directory.clients("acme", changed_since=a_second_later)) == []


def test_holders_are_the_stored_clients_with_one_of_the_ids_or_addresses(
    directory: EmbeddedClientDirectory,
) -> None:
    directory.upsert("acme", [Client("c1", "Ann@X.com"), Client("c2", "b@x.com")])
    directory.upsert("bravo", [Client("c1", "ann@x.com")])
    found = directory.holders("acme", ["c2", "nobody"], ["ann@x.com", "z@x.com"])
    assert sorted(c.client_id for c in found) == ["c1", "c2"]
    assert directory.holders("acme", [], []) == []


def test_a_value_the_database_refuses_is_the_rows_fault_without_sql(
    directory: EmbeddedClientDirectory,
) -> None:
    """The core never hands such values over (core/validation.py); if a host's caller does,
    the store says so in one line, and the database is left as it was. SQLite takes them."""
    noise = "".join(random.Random(7).choices(string.ascii_letters, k=4000))
    clients = [
        Client("c1", "nul@x.com", "A\x00nn"),
        Client("c2", noise + "@x.com"),  # longer than a PostgreSQL b-tree key may be
    ]
    if directory._database.dialect != "postgresql":
        assert directory.upsert("acme", clients) == (2, 0)
        return
    for client in clients:
        with pytest.raises(InvalidInput) as refused:
            directory.upsert("acme", [client])
        assert refused.value.message.startswith("the database refused this client (")
        assert "INSERT" not in refused.value.message and "x.com" not in refused.value.message
    assert listed(directory) == []


def test_mark_many_answers_as_one_mark_after_another(directory: EmbeddedClientDirectory) -> None:
    directory.upsert("acme", [Client("c1", "Zoé@Exemple.ca"), Client("c2", "b@x.com")])
    directory.upsert("other", [Client("c1", "zoé@exemple.ca")])

    marked = directory.mark_many(
        "acme",
        [("ZOÉ@exemple.ca", UNSUBSCRIBED), ("nobody@x.com", CLEANED), ("zoé@exemple.ca", CLEANED)],
    )

    assert [c.newsletter if c else None for c in marked] == [UNSUBSCRIBED, None, CLEANED]
    assert {c.client_id: c.newsletter for c in listed(directory)} == {
        "c1": CLEANED,
        "c2": SUBSCRIBED,
    }
    assert listed(directory, "other")[0].newsletter == SUBSCRIBED
    again = directory.mark_many("acme", [("zoé@exemple.ca", CLEANED)])  # idempotent
    assert again == [listed(directory)[0]]

"""Property-based: whatever a sender puts in a webhook form, parsing either refuses it with
InvalidInput or gives an event whose every field prints on one line (issue 11 point 3)."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from calendarspots_mailchimp.core.errors import InvalidInput
from calendarspots_mailchimp.core.model import ActivityEntry
from calendarspots_mailchimp.core.services.webhooks.decide import decide
from calendarspots_mailchimp.core.services.webhooks.events import (
    MAX_EMAIL_LENGTH,
    idempotency_key,
    parse_event,
)
from calendarspots_mailchimp.entrypoints.messages import render

# Anything that ends a line or steers a terminal, once printed.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NASTY = st.sampled_from(
    ["\r\n", "\n", "\r", "\x00", "\t", "\x1b[2J", "\x85", "\u2028", "\u2029", "\x7f", "\x9b"]
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.builds("".join, st.lists(st.one_of(st.text(max_size=6), NASTY), max_size=6)),
    st.sampled_from(["x" * 2001, "a@" + "b" * MAX_EMAIL_LENGTH]),
)
KEYS = st.sampled_from(
    [
        "type",
        "fired_at",
        "data[list_id]",
        "data[email]",
        "data[old_email]",
        "data[new_email]",
        "data[reason]",
        "data[action]",
        "data[merges][FNAME]",
        "data[merges][LNAME]",
        "data[merges][ADDRESS][addr1]",
    ]
)


@st.composite
def forms(draw: st.DrawFn) -> dict[str, str]:
    form = {
        "type": draw(
            st.sampled_from(["subscribe", "unsubscribe", "profile", "upemail", "cleaned"])
        ),
        "data[list_id]": "aud0000001",
        "data[email]": draw(st.sampled_from(["client1@example.com", "Zoé@exemple.ca"])),
        "data[old_email]": "old@example.com",
        "data[new_email]": "new@example.com",
    }
    for key, value in draw(st.dictionaries(st.one_of(KEYS, TEXT), TEXT, max_size=6)).items():
        form[key] = value
    return form


@settings(max_examples=200, deadline=None)
@given(forms())
def test_a_form_is_refused_or_every_field_of_its_event_prints_on_one_line(
    form: dict[str, str],
) -> None:
    try:
        event = parse_event(form)
    except InvalidInput:
        return
    assert len(idempotency_key(form)) == 64
    for value in (event.type, event.list_id, event.fired_at, *event.data.values()):
        assert not UNPRINTABLE.search(value), value
    assert all(len(event.data.get(k, "")) <= MAX_EMAIL_LENGTH for k in ("email", "old_email"))
    for name, value in event.merges.items():
        assert not UNPRINTABLE.search(name + value), (name, value)
    decision = decide(event, None, None)
    entry = ActivityEntry("salon", datetime(2026, 1, 1), decision.kind, details=decision.details)
    for lang in ("en", "fr"):
        line = render(entry, lang)  # what `cs-mailchimp activity` prints after the kind
        assert not UNPRINTABLE.search(line), line


@settings(max_examples=50, deadline=None)
@given(NASTY, st.sampled_from(["data[email]", "data[list_id]", "type", "fired_at"]))
def test_a_line_break_or_control_character_outside_merge_fields_is_refused(
    nasty: str, key: str
) -> None:
    form = {
        "type": "unsubscribe",
        "fired_at": "2026-03-01 12:00:00",
        "data[list_id]": "aud0000001",
        "data[email]": "client1@example.com",
    }
    form[key] = form[key][:3] + nasty + form[key][3:]
    try:
        parse_event(form)
    except InvalidInput:
        return
    raise AssertionError(f"{key}={form[key]!r} was accepted")

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calendarspots_mailchimp.core.errors import AuthorizationError, ConfigurationError
from calendarspots_mailchimp.core.services.oauth_state import (
    make_link_token,
    make_state,
    read_claims,
    read_link_token,
    read_state,
)

KEY = "k" * 32
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_state_round_trip_names_the_tenant() -> None:
    assert read_state(make_state("salon-1", KEY, NOW), KEY, NOW + timedelta(minutes=5)) == "salon-1"


def test_tampered_state_is_refused() -> None:
    state = make_state("salon-1", KEY, NOW)
    sig = state.split(".")[1]
    forged = make_state("salon-2", KEY, NOW).split(".")[0]
    with pytest.raises(AuthorizationError):
        read_state(f"{forged}.{sig}", KEY, NOW)
    with pytest.raises(AuthorizationError):
        read_state(state, "another-key-of-32-characters!!!!", NOW)
    with pytest.raises(AuthorizationError):
        read_state("garbage", KEY, NOW)
    with pytest.raises(AuthorizationError):
        read_state("é.x", KEY, NOW)  # not even ASCII: refused, not a crash


def test_expired_state_is_refused() -> None:
    with pytest.raises(AuthorizationError, match="expired"):
        read_state(make_state("salon-1", KEY, NOW), KEY, NOW + timedelta(hours=1))


def test_no_key_no_state() -> None:
    with pytest.raises(ConfigurationError):
        make_state("salon-1", "", NOW)


def test_the_state_carries_a_nonce_and_its_expiry_for_single_use() -> None:
    first = read_claims(make_state("salon-1", KEY, NOW), KEY, NOW)
    second = read_claims(make_state("salon-1", KEY, NOW), KEY, NOW)
    assert first.tenant_id == "salon-1"
    assert first.nonce and first.nonce != second.nonce
    assert first.expires_at == NOW + timedelta(minutes=15)


def test_a_start_link_token_and_an_oauth_state_cannot_stand_in_for_each_other() -> None:
    token, expires_at = make_link_token("salon-1", KEY, NOW)
    assert expires_at == NOW + timedelta(minutes=15)
    claims = read_link_token(token, KEY, NOW + timedelta(minutes=14))
    assert claims.tenant_id == "salon-1" and claims.nonce
    with pytest.raises(AuthorizationError):
        read_state(token, KEY, NOW)
    with pytest.raises(AuthorizationError):
        read_link_token(make_state("salon-1", KEY, NOW), KEY, NOW)
    with pytest.raises(AuthorizationError, match="expired"):
        read_link_token(token, KEY, NOW + timedelta(minutes=16))

"""R1 and R2 on fakes: exactly one audience by name, its fields, and `check --fix`."""

from __future__ import annotations

from unit.services.conftest import Fakes

from calendarspots_mailchimp.core.model import ConnectionState


def test_a_missing_birthday_is_named_then_fixed(fakes: Fakes) -> None:
    _, audience = fakes.connected()
    del audience.fields["BIRTHDAY"]
    check = fakes.container.check_service()

    failed = check.check("salon")
    fixed = check.check("salon", fix=True)

    assert not failed.ok and "BIRTHDAY" in failed.message
    assert fakes.tenant().state == ConnectionState.CONNECTED
    assert fixed.ok and fixed.fixed == ["BIRTHDAY"]
    assert audience.fields["BIRTHDAY"].type == "birthday"
    assert fakes.kinds()[:3] == ["check.passed", "check.fixed", "check.failed"]


def test_two_audiences_with_the_name_are_refused(fakes: Fakes) -> None:
    account, _ = fakes.connected()
    fakes.mailchimp.add_audience(account)

    result = fakes.container.check_service().check("salon")

    assert not result.ok and "only one" in result.message
    assert fakes.tenant().state == ConnectionState.NEEDS_ATTENTION


def test_a_near_miss_name_is_reported_so_the_owner_can_fix_it(fakes: Fakes) -> None:
    _, audience = fakes.connected()
    audience.name = "Calendarspots "

    result = fakes.container.check_service().check("salon")

    assert not result.ok and "'Calendarspots '" in result.message

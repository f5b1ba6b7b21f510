"""The deploy check on the informants' key."""

from __future__ import annotations

from reports.checks import check_informant_keys


def test_warns_when_the_key_is_derived_from_secret_key(settings) -> None:
    settings.INFORMANT_KEYS_DERIVED = True
    assert [m.id for m in check_informant_keys()] == ["reports.W001"]


def test_silent_with_a_key_of_its_own(settings) -> None:
    settings.INFORMANT_KEYS_DERIVED = False
    assert check_informant_keys() == []


def test_registered_for_deploy_only(settings) -> None:
    from django.core import checks

    settings.INFORMANT_KEYS_DERIVED = True
    deploy = checks.run_checks(include_deployment_checks=True, tags=["security"])
    normal = checks.run_checks(tags=["security"])
    assert "reports.W001" in {m.id for m in deploy}
    assert "reports.W001" not in {m.id for m in normal}

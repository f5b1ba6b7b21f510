"""The status workflow: every pair of statuses, allowed or refused."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import ALLOWED_TRANSITIONS, IncidentReport, Status
from reports.services import report_transition

pytestmark = pytest.mark.django_db

PAIRS = list(itertools.product(Status.values, Status.values))


def test_every_status_has_an_entry_and_closed_is_final() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()
    for targets in ALLOWED_TRANSITIONS.values():
        assert targets <= set(Status.values)


def test_the_map_is_the_documented_one() -> None:
    assert {k: set(v) for k, v in ALLOWED_TRANSITIONS.items()} == {
        "received": {"verifying", "unfounded", "transferred"},
        "verifying": {"handling", "unfounded", "transferred"},
        "handling": {"resolved", "transferred"},
        "resolved": {"closed", "handling"},
        "transferred": {"closed"},
        "unfounded": {"closed"},
        "closed": set(),
    }


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_transition(police, report_a, from_status: str, to_status: str) -> None:
    IncidentReport.objects.filter(pk=report_a.pk).update(status=from_status)
    allowed = to_status in ALLOWED_TRANSITIONS[from_status]
    if allowed:
        report_transition(actor=police, report=report_a, to_status=to_status, note="ghi chú")
        report_a.refresh_from_db()
        assert report_a.status == to_status
        assert (report_a.closed_at is not None) == (to_status == Status.CLOSED)
        event = report_a.events.get(kind="status_changed")
        assert (event.from_status, event.to_status, event.text, event.actor) == (
            from_status,
            to_status,
            "ghi chú",
            police,
        )
        assert event.shared is False
    else:
        with pytest.raises(ValidationError) as error:
            report_transition(actor=police, report=report_a, to_status=to_status)
        assert error.value.code == "transition_not_allowed"
        report_a.refresh_from_db()
        assert report_a.status == from_status
        assert not report_a.events.filter(kind="status_changed").exists()


def test_an_unknown_status_is_refused(police, report_a) -> None:
    with pytest.raises(ValidationError):
        report_transition(actor=police, report=report_a, to_status="lost")


def test_the_full_road_to_closed(officer_a, report_a) -> None:
    for status in ("verifying", "handling", "resolved", "closed"):
        report_transition(actor=officer_a, report=report_a, to_status=status)
    assert report_a.status == Status.CLOSED and report_a.closed_at is not None
    assert report_a.events.filter(kind="status_changed").count() == 4


def test_a_stale_instance_does_not_skip_the_workflow(police, report_a) -> None:
    stale = IncidentReport.objects.get(pk=report_a.pk)
    report_transition(actor=police, report=report_a, to_status="unfounded")
    # `stale` still says received; the service reads the row, which says unfounded
    with pytest.raises(ValidationError):
        report_transition(actor=police, report=stale, to_status="verifying")


def test_transition_needs_scope_and_triage(officer_a, head_b, party_office, outsider, report_b):
    for user in (officer_a, head_b, party_office, outsider):
        with pytest.raises(PermissionDenied):
            report_transition(actor=user, report=report_b, to_status="verifying")
    report_b.refresh_from_db()
    assert report_b.status == Status.RECEIVED

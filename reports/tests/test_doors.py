"""Every door that files a report, tried against the rules of a report.

| model          | doors                                              | service                    |
|----------------|----------------------------------------------------|----------------------------|
| IncidentReport | page (report form), API POST, admin add            | report_create              |
|                | public tip form                                    | tips.services → file_report|
| status, notes  | detail page, API actions, admin action "assign"    | report_transition,         |
|                |                                                    | report_assign, ...         |
| Attachment     | detail page upload, API upload                     | attachment_add             |
| InformantReveal| detail page, API                                   | informant_reveal           |
| TipAccess      | admin form (the public reply)                      | tip_reply                  |
| Informant      | task `erase_expired_informants`                    | informants_erase_expired   |
| DeadlineRule,  | admin form (settings, no rule beyond the model's)  | none                       |
| ReportSettings |                                                    |                            |

The admin changes and deletes no report (triage goes through the pages and the API).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import User
from groups.tests.factories import PeopleGroupFactory
from reports.models import IncidentReport

pytestmark = pytest.mark.django_db

FUTURE = timezone.localtime() + datetime.timedelta(days=2)


def _values(hamlet, **extra) -> dict:
    return {
        "hamlet": hamlet.pk,
        "category": "crime",
        "urgency": "normal",
        "title": "Mất trộm gà",
        "description": "Đêm qua mất 5 con gà.",
        "location": "Cuối ấp",
        **extra,
    }


def page(user: User, hamlet, **extra) -> object:
    client = Client()
    client.force_login(user)
    if "occurred_at" in extra:
        extra["occurred_at"] = extra["occurred_at"].strftime("%Y-%m-%dT%H:%M")
    return client.post(reverse("reports:report-create"), _values(hamlet, channel="phone", **extra))


def api(user: User, hamlet, **extra) -> object:
    client = APIClient()
    client.force_login(user)
    if "occurred_at" in extra:
        extra["occurred_at"] = extra["occurred_at"].isoformat()
    body = _values(hamlet, channel="web_form", **extra)
    return client.post("/api/v1/reports/", body, format="json")


def admin_add(user: User, hamlet, **extra) -> object:
    client = Client()
    client.force_login(user)
    if "occurred_at" in extra:
        moment = extra.pop("occurred_at")
        extra["occurred_at_0"] = moment.strftime("%Y-%m-%d")
        extra["occurred_at_1"] = moment.strftime("%H:%M")
    body = _values(hamlet, channel="phone", **extra)
    return client.post("/admin/reports/incidentreport/add/", body)


DOORS: dict[str, Callable] = {"page": page, "api": api, "admin-add": admin_add}


@pytest.mark.parametrize("door", DOORS)
def test_no_report_happens_in_the_future_whatever_the_door(police, hamlet_a, door) -> None:
    with translation.override("vi"):
        response = DOORS[door](police, hamlet_a, occurred_at=FUTURE)
    assert response.status_code in {200, 400}  # the form or the API's error, never a 500
    assert not IncidentReport.objects.exists()


@pytest.mark.parametrize("door", DOORS)
def test_the_peoples_group_belongs_to_the_reports_hamlet_whatever_the_door(
    police, hamlet_a, hamlet_b, door
) -> None:
    elsewhere = PeopleGroupFactory(hamlet=hamlet_b)
    with translation.override("vi"):
        response = DOORS[door](police, hamlet_a, people_group=elsewhere.pk)
    assert response.status_code in {200, 400}
    assert not IncidentReport.objects.exists()


@pytest.mark.parametrize("door", DOORS)
def test_every_door_files_through_report_create(police, hamlet_a, door) -> None:
    """Whatever the door, the report gets its commune's code, a deadline and its first event."""
    response = DOORS[door](police, hamlet_a)
    assert response.status_code in {201, 302}, response.content[:2000]
    report = IncidentReport.objects.get()
    assert report.code and report.due_at and report.filed_by == police
    assert report.events.filter(kind="created").exists()

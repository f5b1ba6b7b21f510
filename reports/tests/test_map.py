"""The map of reports (reports/maps.py): the page /map/, its API /api/v1/reports/map/, the
points of reports and tips (coarsened for anonymous tips at every door, and for whoever may not
read a report's coordinates), and the hamlets' places (groups/geo.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import logged_in as client_of
from conftest import logged_in_api as api_of
from groups.models import Hamlet
from reports.models import Channel, IncidentReport, Status
from reports.tests.factories import IncidentReportFactory, file_report
from reports.tips.services import tip_submit

pytestmark = pytest.mark.django_db

MAP = "/map/"
API_MAP = "/api/v1/reports/map/"
PRECISE = {"latitude": Decimal("11.512345"), "longitude": Decimal("106.798765")}


@pytest.fixture
def placed(hamlet_a: Hamlet, hamlet_b: Hamlet) -> tuple[Hamlet, Hamlet]:
    hamlet_a.latitude, hamlet_a.longitude = Decimal("11.520000"), Decimal("106.780000")
    hamlet_a.save()
    hamlet_b.latitude, hamlet_b.longitude = Decimal("11.500000"), Decimal("106.800000")
    hamlet_b.boundary = {
        "type": "Polygon",
        "coordinates": [[[106.79, 11.51], [106.81, 11.51], [106.81, 11.49], [106.79, 11.49],
                         [106.79, 11.51]]],
    }  # fmt: skip
    hamlet_b.save()
    return hamlet_a, hamlet_b


def test_smoke(police, placed, hamlet_b) -> None:
    file_report(police, hamlet_b, channel=Channel.PHONE, **PRECISE)
    page = client_of(police).get(MAP)
    assert page.status_code == 200, page.content[:2000]
    data = api_of(police).get(API_MAP).json()
    assert data["count"] == 1
    assert data["reports"][0]["latitude"] == "11.512345"

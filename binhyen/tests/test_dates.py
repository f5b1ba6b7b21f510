"""Days typed into filters: out-of-range days are refused cleanly, never a 500 (the API fuzzing
found `received_from=0001-01-01`: its local midnight does not exist in UTC)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from binhyen.dates import FIRST_DAY, LAST_DAY, local_midnight, parse_day

pytestmark = pytest.mark.django_db

EDGES = ("0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01")


def test_parse_day_keeps_the_range_and_drops_the_rest() -> None:
    assert parse_day("2026-02-28") == datetime.date(2026, 2, 28)
    assert parse_day(FIRST_DAY.isoformat()) == FIRST_DAY
    assert parse_day(LAST_DAY.isoformat()) == LAST_DAY
    for value in (*EDGES, "", None, "2026-02-30", "hôm qua"):
        assert parse_day(value) is None
    # Both ends of the range have a moment in UTC.
    assert local_midnight(FIRST_DAY) < local_midnight(LAST_DAY + datetime.timedelta(days=1))


@pytest.mark.parametrize("day", EDGES)
def test_the_reports_api_answers_400_in_vietnamese(client, police, day) -> None:
    client.force_login(police)
    for name in ("received_from", "received_to"):
        response = client.get("/api/v1/reports/", {name: day})
        assert response.status_code == 400
        assert "1900" in response.json()[name][0]


@pytest.mark.parametrize("day", EDGES)
def test_the_pages_with_day_filters_stay_up(client, police, day) -> None:
    client.force_login(police)
    pages = [
        (reverse("reports:report-list"), {"received_from": day, "received_to": day}),
        (reverse("audit-log"), {"since": day, "until": day}),
        (reverse("home"), {"period": "custom", "from": day, "to": day}),
        (reverse("bulletins:progress"), {"from": day, "to": day}),
        (reverse("bulletins:bulletin-list"), {"since": day}),
    ]
    for url, params in pages:
        response = client.get(url, params)
        assert response.status_code == 200, url

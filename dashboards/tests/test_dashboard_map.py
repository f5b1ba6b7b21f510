"""The small map of the police's and the leadership's dashboards: the reports received in the
dashboard's period (and hamlet), from the map's API, with a link to the map page."""

from __future__ import annotations

import pytest

from conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["police", "officer_a", "leader", "party_office"])
def test_the_police_and_leadership_dashboards_show_a_small_map(personas, persona) -> None:
    content = logged_in(personas[persona]).get("/", {"period": "year"}).content.decode()
    assert 'data-testid="dashboard-map"' in content
    assert 'data-source="/api/v1/reports/map/?received_from=' in content
    assert 'href="/map/?received_from=' in content
    assert "js/report-map." in content and "vendor/leaflet/leaflet." in content


def test_the_small_map_follows_the_chosen_hamlet(police, hamlet_b) -> None:
    content = logged_in(police).get("/", {"hamlet": hamlet_b.pk}).content.decode()
    assert f"hamlet={hamlet_b.pk}" in content.split('data-testid="dashboard-map"')[1]


def test_a_hamlet_heads_dashboard_has_no_map(head_b) -> None:
    content = logged_in(head_b).get("/").content.decode()
    assert 'data-testid="dashboard-map"' not in content
    assert "report-map." not in content

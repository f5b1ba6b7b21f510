"""The map of reports (reports/maps.py): the page /map/, its API /api/v1/reports/map/, the
points of reports and tips (coarsened for anonymous tips at every door, and for whoever may not
read a report's coordinates), and the API's `point` of a report."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django import forms
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from conftest import logged_in as client_of
from conftest import logged_in_api as api_of
from groups.models import Hamlet
from reports import maps
from reports.forms import QueueFilterForm
from reports.models import Channel, IncidentReport, Status
from reports.tests.factories import INFORMANT, MARKER, IncidentReportFactory, file_report
from reports.tips import forms as tip_forms
from reports.tips import views as tip_views
from reports.tips.services import tip_submit

pytestmark = pytest.mark.django_db

MAP = "/map/"
API_MAP = "/api/v1/reports/map/"
PRECISE = {"latitude": Decimal("11.512345"), "longitude": Decimal("106.798765")}
COARSE = {"latitude": "11.512000", "longitude": "106.799000"}
DESCRIPTION = "Mô tả riêng Qwmapdesc ở cuối ấp"


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


def markers(user: User, query: str = "") -> dict[str, dict]:
    response = api_of(user).get(f"{API_MAP}?{query}")
    assert response.status_code == 200, response.content
    return {row["code"]: row for row in response.json()["reports"]}


# --- tips' points: coarsened when stored, at every door ------------------------------------------


def test_a_tips_point_is_stored_coarsened_by_the_service(placed, hamlet_b) -> None:
    filed = tip_submit(hamlet=hamlet_b, category="crime", description="Có người lạ", **PRECISE)
    filed.report.refresh_from_db()
    assert str(filed.report.latitude) == COARSE["latitude"]
    assert str(filed.report.longitude) == COARSE["longitude"]


def test_a_tips_point_from_the_tip_page_is_stored_coarsened(
    monkeypatch, commune, placed, hamlet_b
) -> None:
    """The public page's door: the point a tip form sends (its map or the phone's GPS) goes
    through the service, which rounds it."""

    class TipFormWithPoint(tip_forms.TipForm):
        latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6)
        longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6)

    monkeypatch.setattr(tip_views, "TipForm", TipFormWithPoint)
    cache.clear()
    response = Client(REMOTE_ADDR="203.0.113.90").post(
        reverse("tips:new", args=[commune.code]),
        {
            "hamlet": hamlet_b.pk,
            "category": "crime",
            "description": "Có người lạ tụ tập ở cuối ấp mỗi tối.",
            "website": "",
            "latitude": "11.512345",
            "longitude": "106.798765",
        },
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 200
    tip = IncidentReport.objects.get(channel=Channel.ANONYMOUS_TIP)
    assert (str(tip.latitude), str(tip.longitude)) == (COARSE["latitude"], COARSE["longitude"])


def test_a_report_keeps_its_point_as_filed_through_page_and_api(police, placed, hamlet_b) -> None:
    report = file_report(police, hamlet_b, channel=Channel.PHONE, **PRECISE)
    assert report.latitude == PRECISE["latitude"]
    response = api_of(police).post(
        "/api/v1/reports/",
        {
            "hamlet": hamlet_b.pk,
            "category": "crime",
            "title": "Trộm",
            "description": "Mất xe",
            "channel": "phone",
            "urgency": "normal",
            "latitude": "11.512345",
            "longitude": "106.798765",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["point"] == {**{k: str(v) for k, v in PRECISE.items()},
                                        "hamlet_centre": False}  # fmt: skip


# --- who sees the map --------------------------------------------------------------------------


def test_the_map_needs_a_login(client, placed) -> None:
    response = client.get(MAP)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get(API_MAP).status_code == 401


def test_a_hamlet_head_has_no_map(head_b, placed) -> None:
    assert client_of(head_b).get(MAP).status_code == 403
    assert api_of(head_b).get(API_MAP).status_code == 403
    assert 'data-nav="map"' not in client_of(head_b).get("/").content.decode()


@pytest.mark.parametrize("persona", ["police", "officer_a", "party_office", "leader"])
def test_the_map_is_for_police_officers_party_office_and_leaders(personas, placed, persona) -> None:
    user = personas[persona]
    assert client_of(user).get(MAP).status_code == 200
    assert api_of(user).get(API_MAP).status_code == 200
    assert 'data-nav="map"' in client_of(user).get("/").content.decode()


def test_another_hamlets_reports_are_not_on_the_map(officer_a, police, placed) -> None:
    hamlet_a, hamlet_b = placed
    file_report(police, hamlet_a, channel=Channel.PHONE, **PRECISE)
    other = file_report(police, hamlet_b, channel=Channel.PHONE, **PRECISE)
    data = api_of(officer_a).get(API_MAP).json()
    assert data["count"] == 1 and [h["id"] for h in data["hamlets"]] == [hamlet_a.pk]
    assert other.code not in {row["code"] for row in data["reports"]}
    # Another hamlet as a filter matches nothing, like an unknown one.
    assert api_of(officer_a).get(f"{API_MAP}?hamlet={hamlet_b.pk}").json()["count"] == 0
    page = client_of(officer_a).get(MAP, {"hamlet": hamlet_b.pk})
    assert page.status_code == 200 and other.code not in page.content.decode()
    assert hamlet_b.name not in page.content.decode().split('data-testid="map-hamlets"')[1]


def test_the_other_communes_police_see_none_of_ours(outsider, police, placed) -> None:
    file_report(police, placed[0], channel=Channel.PHONE, **PRECISE)
    data = api_of(outsider).get(API_MAP).json()
    assert data["count"] == 0 and data["reports"] == []
    assert {h["id"] for h in data["hamlets"]}.isdisjoint({placed[0].pk, placed[1].pk})


# --- what a marker says --------------------------------------------------------------------------


@pytest.fixture
def planted(police, placed) -> dict[str, IncidentReport]:
    """A report with a precise point and an informant, a tip whose point was stored precisely
    (an old row: the map must round it anyway), and a report without a point."""
    hamlet_a, hamlet_b = placed
    precise = file_report(
        police, hamlet_b, channel=Channel.PHONE, description=DESCRIPTION,
        informant=dict(INFORMANT), **PRECISE,
    )  # fmt: skip
    tip = IncidentReportFactory(
        hamlet=hamlet_b, channel=Channel.ANONYMOUS_TIP, description=DESCRIPTION, **PRECISE
    )
    bare = file_report(police, hamlet_a, channel=Channel.PHONE)
    return {"precise": precise, "tip": tip, "bare": bare}


def test_a_marker_is_exact_for_who_triages_and_rounded_for_the_others(personas, planted) -> None:
    precise, tip, bare = planted["precise"], planted["tip"], planted["bare"]
    police = markers(personas["police"])
    assert (police[precise.code]["latitude"], police[precise.code]["longitude"]) == (
        "11.512345", "106.798765",
    )  # fmt: skip
    for persona in ("police", "party_office", "leader"):
        shown = markers(personas[persona])
        assert (shown[tip.code]["latitude"], shown[tip.code]["longitude"]) == (
            COARSE["latitude"], COARSE["longitude"],
        ), persona  # fmt: skip
        assert shown[bare.code]["hamlet_centre"] is True
        assert shown[bare.code]["latitude"] == "11.520000"
    for persona in ("party_office", "leader"):
        shown = markers(personas[persona])
        assert shown[precise.code]["latitude"] == COARSE["latitude"], persona


@pytest.mark.parametrize("persona", ["police", "officer_a", "party_office", "leader"])
def test_no_marker_says_the_text_or_the_informant(personas, planted, persona) -> None:
    user = personas[persona]
    for text in (
        api_of(user).get(API_MAP).content.decode(),
        client_of(user).get(MAP).content.decode(),
    ):
        assert MARKER not in text and "Qwmapdesc" not in text and "Nghi có đánh bạc" not in text
        assert "11.512345" not in text.replace('"latitude":"11.512345"', "") or persona == "police"
    rows = api_of(user).get(API_MAP).json()["reports"]
    for row in rows:
        assert set(row) == {
            "id", "code", "hamlet", "category", "category_label", "status", "status_label",
            "created_at", "day", "latitude", "longitude", "hamlet_centre", "url",
        }  # fmt: skip


def test_the_reports_point_in_the_api_follows_the_same_rule(personas, planted) -> None:
    precise, tip = planted["precise"], planted["tip"]
    police, leader = api_of(personas["police"]), api_of(personas["leader"])
    assert police.get(f"/api/v1/reports/{precise.pk}/").json()["point"]["latitude"] == "11.512345"
    assert police.get(f"/api/v1/reports/{tip.pk}/").json()["point"]["latitude"] == "11.512000"
    row = leader.get(f"/api/v1/reports/{precise.pk}/").json()
    assert row["point"] == {**COARSE, "hamlet_centre": False}
    assert "latitude" not in row and "description" not in row


def test_the_schema_describes_the_map_and_the_point() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/reports/map/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/reports/map/"]["get"]["parameters"]}
    assert {"status", "category", "urgency", "hamlet", "received_from"} <= parameters
    assert "point" in schema["components"]["schemas"]["IncidentReport"]["properties"]
    assert "ReportMap" in schema["components"]["schemas"]


# --- the counts: those of the lists -------------------------------------------------------------


def test_the_page_and_its_api_count_per_hamlet(police, planted, placed) -> None:
    hamlet_a, hamlet_b = placed
    page = client_of(police).get(MAP)
    content = page.content.decode()
    assert 'data-testid="map-count" data-count="3"' in content
    data = api_of(police).get(API_MAP).json()
    counts = {h["id"]: h["count"] for h in data["hamlets"]}
    assert counts == {hamlet_a.pk: 1, hamlet_b.pk: 2}
    boundary = next(h for h in data["hamlets"] if h["id"] == hamlet_b.pk)["boundary"]
    assert boundary["type"] == "Polygon"
    source = reverse("api:report-map")
    assert f'data-source="{source}?' in content


def test_bad_filters_are_said_not_ignored(police, placed) -> None:
    response = client_of(police).get(MAP, {"received_from": "không phải ngày"})
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert api_of(police).get(API_MAP, {"status": "nope"}).status_code == 400


FILTERS = [
    {},
    {"status": Status.RECEIVED},
    {"status": Status.RESOLVED, "category": "crime"},
    {"urgency": "urgent"},
    {"received_from": "2026-01-01", "received_to": "2026-06-30"},
    {"status": Status.HANDLING, "received_from": "2025-12-01"},
]


def test_on_the_demo_commune_the_map_counts_what_the_triage_queue_counts(settings) -> None:
    settings.DEBUG = True  # the demo's published second factor
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False
    police = User.objects.get(username="congan")
    hamlets = list(Hamlet.objects.filter(commune__code="25387").order_by("code"))
    assert all(h.latitude and h.boundary for h in hamlets)
    assert all(11.4 < float(h.latitude) < 11.6 and 106.7 < float(h.longitude) < 106.9
               for h in hamlets)  # fmt: skip
    queue_client, api = client_of(police), api_of(police)
    by_hamlet = [{"hamlet": str(hamlets[3].pk)}, {"hamlet": str(hamlets[7].pk), "status": "closed"}]
    for filters in [*FILTERS, *by_hamlet]:
        data = api.get(API_MAP, filters).json()
        page = client_of(police).get(MAP, filters).content.decode()
        assert f'data-testid="map-count" data-count="{data["count"]}"' in page
        queue_query = {"status": "all", **filters}
        form = QueueFilterForm(queue_query, user=police)
        expected = form.selection(IncidentReport.objects.visible_to(police)).count()
        assert data["count"] == expected, filters
        assert sum(h["count"] for h in data["hamlets"]) == expected
        queue = queue_client.get(reverse("reports:report-list"), queue_query).content.decode()
        assert f'data-count="{expected}"' in queue, filters
        # The map's link opens the list of the same reports.
        listed = queue_client.get(data["list_url"]).content.decode()
        assert f'data-count="{expected}"' in listed
    # Most demo reports carry a point; tips are rounded to 3 decimals.
    with_point = IncidentReport.objects.exclude(latitude=None)
    assert with_point.count() > IncidentReport.objects.count() // 2
    for tip in with_point.filter(channel=Channel.ANONYMOUS_TIP):
        assert tip.latitude == tip.latitude.quantize(Decimal("0.001"))
    leader = User.objects.get(username="lanhdao")
    data = api_of(leader).get(API_MAP, {"status": Status.RESOLVED}).json()
    figures = client_of(leader).get(data["list_url"]).content.decode()
    assert f'data-count="{data["count"]}"' in figures
    assert json.dumps(data).count('"description"') == 0


def test_may_see_map_follows_the_permissions(personas) -> None:
    assert [name for name, user in personas.items() if maps.may_see_map(user)] == [
        "police", "officer_a", "party_office", "leader", "outsider",
    ]  # fmt: skip


def test_the_tile_servers_origin_is_what_the_csp_allows() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from binhyen.settings import tile_origin

    assert tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://tile.openstreetmap.org"
    ]
    assert tile_origin("https://{s}.tiles.example.vn/{z}/{x}/{y}.png") == [
        "https://*.tiles.example.vn"
    ]
    assert tile_origin("") == []
    with pytest.raises(ImproperlyConfigured):
        tile_origin("javascript:alert(1)")


def test_the_page_draws_no_marker_itself_and_names_no_tile_server_in_tests(police, placed) -> None:
    content = client_of(police).get(MAP).content.decode()
    assert 'data-tiles=""' in content
    assert "data-report-map" in content

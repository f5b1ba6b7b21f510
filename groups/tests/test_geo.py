"""A hamlet's place on the map (groups/geo.py): its centre and its GeoJSON outline, checked in
the model and uploaded as a file in the admin."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from groups.geo import boundary_centre, boundary_geometry, read_boundary_file, validate_boundary
from groups.models import Hamlet

pytestmark = pytest.mark.django_db

RING = [[106.79, 11.51], [106.81, 11.51], [106.81, 11.49], [106.79, 11.49], [106.79, 11.51]]
POLYGON = {"type": "Polygon", "coordinates": [RING]}


def test_a_polygon_or_multipolygon_is_a_boundary() -> None:
    validate_boundary(POLYGON)
    validate_boundary({"type": "MultiPolygon", "coordinates": [[RING], [RING]]})
    validate_boundary(None)


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [106.8, 11.5]},
        {"type": "Polygon", "coordinates": [RING[:-1]]},  # not closed
        {"type": "Polygon", "coordinates": [[[11.5, 206.8], *RING[1:]]]},  # out of range
        {"type": "Polygon", "coordinates": []},
        {"type": "Feature", "geometry": POLYGON},  # stored bare only
        [1, 2, 3],
    ],
)
def test_anything_else_is_refused(value) -> None:
    with pytest.raises(ValidationError):
        validate_boundary(value)


def test_a_file_may_hold_a_feature_or_a_collection_of_one() -> None:
    feature = {"type": "Feature", "properties": {"name": "Ấp"}, "geometry": POLYGON}
    collection = {"type": "FeatureCollection", "features": [feature]}
    assert read_boundary_file(json.dumps(feature).encode()) == POLYGON
    assert read_boundary_file(json.dumps(collection).encode("utf-8-sig")) == POLYGON
    with pytest.raises(ValidationError):
        boundary_geometry({"type": "FeatureCollection", "features": [feature, feature]})
    with pytest.raises(ValidationError):
        read_boundary_file(b"not json")
    assert boundary_centre(POLYGON) == pytest.approx((11.50, 106.80))


def test_a_hamlet_needs_both_coordinates_or_neither(hamlet_a: Hamlet) -> None:
    hamlet_a.latitude = 11.5
    with pytest.raises(ValidationError):
        hamlet_a.full_clean()
    hamlet_a.longitude = 106.8
    hamlet_a.boundary = POLYGON
    hamlet_a.full_clean()


def change_data(hamlet: Hamlet, **extra) -> dict:
    data = {
        "commune": hamlet.commune_id,
        "name": hamlet.name,
        "code": hamlet.code,
        "households": hamlet.households,
        "population": "",
        "former_names": "",
        "latitude": "11.500000",
        "longitude": "106.800000",
        "boundary": "null",
        "head": "",
        "people_groups-TOTAL_FORMS": "0",
        "people_groups-INITIAL_FORMS": "0",
        "people_groups-MIN_NUM_FORMS": "0",
        "people_groups-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def test_the_admin_takes_the_outline_as_a_geojson_file(client, police, hamlet_b) -> None:
    client.force_login(police)
    url = f"/admin/groups/hamlet/{hamlet_b.pk}/change/"
    assert b"boundary_file" in client.get(url).content
    upload = SimpleUploadedFile(
        "ap-b.geojson",
        json.dumps({"type": "Feature", "geometry": POLYGON}).encode(),
        content_type="application/geo+json",
    )
    response = client.post(url, change_data(hamlet_b, boundary_file=upload))
    assert response.status_code == 302, response.context["adminform"].form.errors
    hamlet_b.refresh_from_db()
    assert hamlet_b.boundary == POLYGON
    assert str(hamlet_b.latitude) == "11.500000"


def test_the_admin_refuses_a_file_that_is_no_outline(client, police, hamlet_b) -> None:
    client.force_login(police)
    url = f"/admin/groups/hamlet/{hamlet_b.pk}/change/"
    upload = SimpleUploadedFile("diem.geojson", b'{"type": "Point", "coordinates": [1, 2]}')
    response = client.post(url, change_data(hamlet_b, boundary_file=upload))
    assert response.status_code == 200
    assert "boundary_file" in response.context["adminform"].form.errors
    hamlet_b.refresh_from_db()
    assert hamlet_b.boundary is None

"""A hamlet's place on the map: its centre point and its boundary as a GeoJSON (Multi)Polygon.

No GeoDjango: a boundary is drawn by the browser (Leaflet) and by the review's static map,
never queried spatially, so it is kept as plain JSON and only its shape is checked here.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _

SHAPES = ("Polygon", "MultiPolygon")
LATITUDE_LIMIT, LONGITUDE_LIMIT = 90, 180


def coordinate_field(label: Promise, limit: int) -> models.DecimalField:
    """An optional latitude (limit 90) or longitude (180) in degrees, to the micro-degree
    (about 10 cm): a hamlet's centre, a report's point."""
    return models.DecimalField(
        label,
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


MAX_POINTS = 20_000  # a hamlet's outline; far more is a wrong file (a province's)


def _position(value: Any) -> bool:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return False
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value):
        return False
    longitude, latitude = value[0], value[1]
    return -180 <= longitude <= 180 and -90 <= latitude <= 90


def _ring(value: Any) -> int:
    """The number of positions of a valid linear ring, 0 if it is not one."""
    if not isinstance(value, list) or len(value) < 4 or not all(map(_position, value)):
        return 0
    return len(value) if value[0][:2] == value[-1][:2] else 0


def _polygon(value: Any) -> int:
    if not isinstance(value, list) or not value:
        return 0
    sizes = [_ring(ring) for ring in value]
    return sum(sizes) if all(sizes) else 0


def boundary_geometry(value: Any) -> dict[str, Any]:
    """The geometry of a GeoJSON Polygon or MultiPolygon, also given as a Feature or a
    FeatureCollection of one feature (what mapping tools export)."""
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise ValidationError(
                _("Give one outline: the file has %(count)s features.")
                % {"count": len(features) if isinstance(features, list) else 0},
                code="boundary_features",
            )
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in SHAPES:
        raise ValidationError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon."), code="boundary_type"
        )
    coordinates = value.get("coordinates")
    if value["type"] == "Polygon":
        size = _polygon(coordinates)
    else:
        parts = [_polygon(part) for part in coordinates] if isinstance(coordinates, list) else []
        size = sum(parts) if parts and all(parts) else 0
    if not size:
        raise ValidationError(
            _(
                "The boundary's coordinates are not closed rings of [longitude, latitude] "
                "positions."
            ),
            code="boundary_coordinates",
        )
    if size > MAX_POINTS:
        raise ValidationError(
            _("The boundary has more than %(max)s points.") % {"max": MAX_POINTS},
            code="boundary_size",
        )
    return {"type": value["type"], "coordinates": coordinates}


def validate_boundary(value: Any) -> None:
    """The model field's validator: only a bare Polygon or MultiPolygon is stored."""
    if value in (None, ""):
        return
    if boundary_geometry(value) != value:
        raise ValidationError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon."), code="boundary_type"
        )


def read_boundary_file(content: bytes) -> dict[str, Any]:
    """The geometry of an uploaded .geojson file (see boundary_geometry)."""
    try:
        value = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationError(
            _("The file is not GeoJSON (JSON text)."), code="boundary_json"
        ) from error
    return boundary_geometry(value)


def boundary_centre(geometry: dict[str, Any]) -> tuple[float, float]:
    """(latitude, longitude) of the middle of the boundary's extent: a centre for a hamlet
    that has an outline but no point."""
    rings = (
        geometry["coordinates"]
        if geometry["type"] == "Polygon"
        else [ring for part in geometry["coordinates"] for ring in part]
    )
    longitudes = [p[0] for ring in rings for p in ring]
    latitudes = [p[1] for ring in rings for p in ring]
    return (min(latitudes) + max(latitudes)) / 2, (min(longitudes) + max(longitudes)) / 2

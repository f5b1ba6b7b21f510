"""The map of the hamlets in the review's documents: a projection that keeps shapes, circles
whose area is the count, labels that cover nothing, hamlets without a place listed rather than
guessed, no map without places, and a finalised review's map as it was signed."""

from __future__ import annotations

import io
import itertools
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from groups.models import Commune, Hamlet
from reviews import maps, services
from reviews.content import HamletMap, MapPlace, build_document, hamlet_map, review_data
from reviews.documents import pdf_html, render_docx, render_pdf, sections
from reviews.figures import hamlet_place
from reviews.models import AnnualReview
from reviews.tests.test_documents import pdf_text

LATITUDE = 11.5  # Thuận Lợi, Đồng Nai


def square(west: float, south: float, side_km: float) -> list[list[list[list[float]]]]:
    """One polygon: a square `side_km` across, as the figures keep an outline."""
    tall = side_km / 111.32
    wide = tall / math.cos(math.radians(LATITUDE))
    east, north = west + wide, south + tall
    ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]
    return [[ring]]


def a_map(*places: MapPlace) -> HamletMap:
    return HamletMap("Số tin báo trong kỳ theo ấp", list(places), [], "", "Chú giải", "B")


def data_with(hamlets: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    """The part of review_data() the map reads."""
    by_hamlet = {key: {"received": count} for key, count in counts.items()}
    return {
        "figures": {
            "hamlets": hamlets,
            "sections": {"reports": {"current": {"by_hamlet": by_hamlet}, "previous": {}}},
        }
    }


# --- layout ------------------------------------------------------------------------------


def test_the_projection_keeps_a_square_square_within_the_margins() -> None:
    plan = maps.layout(a_map(MapPlace("Ấp Vuông", 3, None, square(106.77, LATITUDE, 3.0))))
    (outline,) = plan.outlines
    xs = [x for x, _y in outline[0]]
    ys = [y for _x, y in outline[0]]
    across, down = max(xs) - min(xs), max(ys) - min(ys)
    assert across == pytest.approx(down, rel=0.01)  # cos(latitude) undoes the degrees' squeeze
    assert min(xs) >= maps.PAD - 0.01 and max(xs) <= plan.width - maps.PAD + 0.01
    assert min(ys) >= maps.PAD - 0.01 and max(ys) <= plan.map_height - maps.PAD + 0.01


def test_a_wide_commune_fills_the_width_and_keeps_its_shape() -> None:
    # Two squares 1 km across, 4 km apart from west to east.
    west = 106.77
    step = 4 / 111.32 / math.cos(math.radians(LATITUDE))
    plan = maps.layout(
        a_map(
            MapPlace("Ấp Tây", 1, None, square(west, LATITUDE, 1.0)),
            MapPlace("Ấp Đông", 1, None, square(west + step, LATITUDE, 1.0)),
        )
    )
    first, second = ([x for x, _y in rings[0]] for rings in plan.outlines)
    assert min(first) == pytest.approx(maps.PAD) and max(second) == pytest.approx(
        plan.width - maps.PAD
    )
    assert max(first) - min(first) == pytest.approx((max(second) - min(first)) / 5, rel=0.01)
    assert plan.map_height == maps.MIN_MAP_HEIGHT  # not stretched to fill a taller box


def test_a_circle_s_area_is_proportional_to_its_count() -> None:
    counts = [1, 4, 9, 0]
    places = [
        MapPlace(f"Ấp {n}", count, [LATITUDE + 0.02 * n, 106.77 + 0.02 * n], None)
        for n, count in enumerate(counts)
    ]
    plan = maps.layout(a_map(*places))
    hamlets = [circle for circle in plan.circles if circle.hamlet]
    areas = [math.pi * circle.radius**2 for circle in hamlets]
    assert areas[1] == pytest.approx(4 * areas[0]) and areas[2] == pytest.approx(9 * areas[0])
    assert hamlets[3].radius == 0  # no report: only the empty ring marks the place
    assert max(circle.radius for circle in hamlets) <= maps.MAX_RADIUS
    # The legend's circles are drawn to the same scale: its largest is the largest count's.
    references = [circle for circle in plan.circles if not circle.hamlet]
    assert max(c.radius for c in references) == pytest.approx(hamlets[2].radius)


def test_close_hamlets_labels_cover_nothing_and_stay_inside() -> None:
    # Six hamlets a few hundred metres apart, along a road and around a crossroads.
    centres = [(11.5, 106.77), (11.502, 106.772), (11.5, 106.774), (11.498, 106.772),
               (11.5, 106.79), (11.51, 106.78)]  # fmt: skip
    places = [
        MapPlace(f"Ấp Thuận Phú {n}", 10 * n, list(centre), None)
        for n, centre in enumerate(centres, start=1)
    ]
    plan = maps.layout(a_map(*places))
    for label in plan.labels:
        left, top, right, bottom = label.box
        assert left >= 0 and top >= 0 and right <= plan.width and bottom <= plan.map_height
    for first, second in itertools.combinations(plan.labels, 2):
        assert maps.overlap(first.box, second.box) == 0, (first.lines, second.lines)
    for label, circle in itertools.product(plan.labels, plan.circles[: len(places)]):
        square = (circle.x - circle.radius / 2**0.5, circle.y - circle.radius / 2**0.5,
                  circle.x + circle.radius / 2**0.5, circle.y + circle.radius / 2**0.5)  # fmt: skip
        # At most a corner of a circle's middle, where four hamlets crowd a few hundred metres.
        assert maps.overlap(label.box, square) < 0.1 * label.width * label.height, label.lines


def test_the_places_are_kept_compact() -> None:
    ring = [[106.7712344, 11.5, 3.0], [106.7712341, 11.5], [106.78, 11.5], [106.78, 11.51],
            [106.7712344, 11.5]]  # fmt: skip
    place = hamlet_place(
        {
            "latitude": Decimal("11.5012345"),
            "longitude": Decimal("106.7712345"),
            "boundary": {"type": "Polygon", "coordinates": [ring]},
        }
    )
    assert place == {
        "centre": [11.50123, 106.77123],
        "polygons": [[[[106.77123, 11.5], [106.78, 11.5], [106.78, 11.51], [106.77123, 11.5]]]],
    }
    assert hamlet_place({"latitude": None, "longitude": None, "boundary": None}) is None


def test_a_hamlet_without_a_place_is_listed_not_drawn() -> None:
    hamlets = [
        {"id": "1", "name": "Ấp Thuận Hòa", "place": {"centre": [11.5, 106.77], "polygons": None}},
        {"id": "2", "name": "Ấp Thuận Phú 1", "place": None},
    ]
    drawn = hamlet_map(data_with(hamlets, {"1": 3, "2": 2}))
    assert [place.name for place in drawn.places] == ["Ấp Thuận Hòa"]
    assert drawn.unplaced == ["Ấp Thuận Phú 1 (2)"]
    assert maps.svg(maps.layout(drawn), drawn.title).count('class="hamlet"') == 1


def test_no_place_no_map() -> None:
    hamlets = [{"id": "1", "name": "Ấp Thuận Hòa", "place": None}]
    assert hamlet_map(data_with(hamlets, {"1": 3})) is None
    # A snapshot finalised before the places were kept prints its table alone too.
    assert hamlet_map(data_with([{"id": "1", "name": "Ấp Thuận Hòa"}], {"1": 3})) is None


# --- the documents -------------------------------------------------------------------------


def place(hamlet: Hamlet, latitude: str, longitude: str) -> None:
    hamlet.latitude, hamlet.longitude = Decimal(latitude), Decimal(longitude)
    hamlet.save(update_fields=["latitude", "longitude"])


@pytest.fixture
def review(police: User, commune: Commune, fixture_2026: dict[str, Any]) -> AnnualReview:
    return services.review_create(actor=police, commune=commune, year=2026)


@pytest.mark.django_db
def test_without_places_the_documents_have_no_map(review: AnnualReview) -> None:
    document = build_document(review_data(review))
    assert document.map is None
    assert "map" not in [kind for _heading, kind, _value in sections(document)]
    assert "Tin báo theo ấp" in [table.key for table in document.reports]  # the table stays


@pytest.mark.django_db
def test_the_pdf_shows_the_map(review: AnnualReview, hamlet_a: Hamlet, tmp_path: Path) -> None:
    place(hamlet_a, "11.521962", "106.775826")
    document = build_document(review_data(review))
    html = pdf_html(document)
    assert len(re.findall(r'<circle class="hamlet"', html)) == 1  # hamlet_b has no place
    text = " ".join(pdf_text(render_pdf(document), tmp_path).split())
    assert "Số tin báo trong kỳ theo ấp" in text
    assert "Ấp Thuận Hòa" in text
    assert "Diện tích vòng tròn: số tin báo nhận được" in text
    assert "Không có vị trí: Ấp Thuận Phú 1 (2)." in text


@pytest.mark.django_db
def test_the_docx_holds_the_map_picture(review: AnnualReview, hamlet_a: Hamlet) -> None:
    def pictures() -> int:
        content = render_docx(build_document(review_data(review)))
        return len(docx.Document(io.BytesIO(content)).inline_shapes)

    without = pictures()
    place(hamlet_a, "11.521962", "106.775826")
    assert pictures() == without + 1


@pytest.mark.django_db
def test_a_finalised_review_keeps_its_map(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet
) -> None:
    place(hamlet_a, "11.521962", "106.775826")
    place(hamlet_b, "11.523005", "106.792531")
    services.review_finalise(actor=police, review=review)
    review.refresh_from_db()

    def drawn() -> str:
        the_map = build_document(review_data(review)).map
        return maps.svg(maps.layout(the_map), the_map.title)

    signed = drawn()
    place(hamlet_b, "11.49", "106.80")  # moved after the review was signed
    hamlet_a.boundary = {"type": "Polygon", "coordinates": square(106.77, 11.51, 1.0)[0]}
    hamlet_a.save(update_fields=["boundary"])
    assert drawn() == signed


@pytest.mark.django_db
def test_the_review_page_shows_the_map(
    review: AnnualReview, party_office: User, hamlet_a: Hamlet
) -> None:
    place(hamlet_a, "11.521962", "106.775826")
    client = Client()
    client.force_login(party_office)
    page = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert page.count('<circle class="hamlet"') == 1
    assert "Không có vị trí: Ấp Thuận Phú 1 (2)." in page


def test_a_hamlet_with_an_outline_only_is_drawn_at_its_middle() -> None:
    plan = maps.layout(a_map(MapPlace("Ấp Vuông", 2, None, square(106.77, LATITUDE, 2.0))))
    (circle,) = [circle for circle in plan.circles if circle.hamlet]
    xs = [x for x, _y in plan.outlines[0][0]]
    ys = [y for _x, y in plan.outlines[0][0]]
    assert circle.x == pytest.approx((min(xs) + max(xs)) / 2)
    assert circle.y == pytest.approx((min(ys) + max(ys)) / 2)

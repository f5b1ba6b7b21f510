"""The map of reports in a real browser (Debian's Chromium through Playwright), on a phone
(360×800) and a desktop (1366×768): open the map from the menu, filter it, and follow a marker
to its report. No tiles in tests (MAP_TILE_URL is empty): the hamlets and markers are drawn on
a blank background, and no request may fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 360, "height": 800}
RING = [[106.79, 11.51], [106.81, 11.51], [106.81, 11.49], [106.79, 11.49], [106.79, 11.51]]


@pytest.fixture
def on_the_map(police, hamlet_a, hamlet_b):
    from reports.models import Category, Channel
    from reports.tests.factories import file_report

    hamlet_a.latitude, hamlet_a.longitude = Decimal("11.525"), Decimal("106.78")
    hamlet_a.save()
    hamlet_b.latitude, hamlet_b.longitude = Decimal("11.5"), Decimal("106.8")
    hamlet_b.boundary = {"type": "Polygon", "coordinates": [RING]}
    hamlet_b.save()
    file_report(police, hamlet_a, channel=Channel.PHONE, category=Category.CRIME)
    file_report(
        police, hamlet_a, channel=Channel.PHONE, category=Category.CRIME,
        latitude=Decimal("11.5262"), longitude=Decimal("106.7811"),
    )  # fmt: skip
    return file_report(
        police, hamlet_b, channel=Channel.PHONE, category=Category.FIRE,
        latitude=Decimal("11.503311"), longitude=Decimal("106.801234"),
    )  # fmt: skip


@pytest.mark.parametrize("viewport", [NARROW, DESKTOP], ids=["phone-360", "desktop-1366"])
def test_a_leader_filters_the_map_and_follows_a_marker_to_the_report(
    journey, watch_errors, leader, on_the_map, hamlet_b, viewport
) -> None:
    fire = on_the_map
    person = journey(viewport=viewport, name=f"map-{viewport['width']}")
    errors = watch_errors(person.page)
    person.login("leader")
    if viewport is NARROW:
        person.page.click("button.navbar-toggler")
        person.page.wait_for_selector("#main-nav.show:not(.collapsing)")
    person.page.click("[data-nav=map]")
    person.page.wait_for_url("**/map/")
    person.page.wait_for_selector("[data-report-map][data-state=ready]")
    counts = person.page.locator(".leaflet-container [data-testid=map-hamlet-count]")
    assert counts.count() == 2
    assert person.page.locator("[data-report-map]").get_attribute("data-markers") == "3"
    person.shot("map")

    person.page.select_option("select[name=category]", "fire")
    person.page.click("[data-testid=map-filters] button[type=submit]")
    person.page.wait_for_url("**/map/?*category=fire*")
    person.page.wait_for_selector("[data-report-map][data-state=ready]")
    assert person.page.locator("[data-testid=map-count]").get_attribute("data-count") == "1"
    hamlet_b_label = person.page.locator(
        f".leaflet-container [data-testid=map-hamlet-count][data-hamlet='{hamlet_b.pk}']"
    )
    assert hamlet_b_label.get_attribute("data-count") == "1"
    assert person.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    person.shot("filtered")

    marker = person.page.locator(f"[data-testid=map-marker][data-code='{fire.code}']")
    link = person.page.locator(".leaflet-popup [data-testid=map-report-link]")
    for _attempt in range(3):  # a click while the clusters settle after the first draw is lost
        marker.click()
        try:
            link.wait_for(state="attached", timeout=3000)
            break
        except PlaywrightTimeout:
            continue
    link.wait_for(state="attached")
    popup = person.page.locator(".leaflet-popup").inner_text()
    assert fire.code in popup and "cháy" in popup.lower()
    assert "Nghi có đánh bạc" not in popup  # never a word of the report's text
    person.shot("marker-opened")
    link.click()
    person.page.wait_for_url(f"**/reports/{fire.pk}/")
    assert fire.code in person.page.content()
    person.shot("report")
    assert errors == [], "\n".join(errors)

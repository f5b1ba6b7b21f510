"""Each role's dashboard in a real browser, on a phone and on an office screen: the charts draw
(no script error, no refused resource), the tables are there, the menu fits one line at 1366 px
and collapses on a phone. Screenshots go to test-artifacts/screenshots/dashboard-<role>/.
"""

from __future__ import annotations

import pytest

from binhyen.tests.test_browser_journeys import pass_second_factor
from conftest import DESKTOP, PHONE
from dashboards.tests.test_dashboard import world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("who", ["police", "officer_a", "head_b", "party_office", "leader"])
def test_each_dashboard_on_a_phone_and_a_desktop(
    journey, watch_errors, personas, hamlet_a, hamlet_b, who: str
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import requires_two_factor

    world(personas["police"], personas["officer_a"], personas["head_b"], [hamlet_a, hamlet_b])
    user = personas[who]
    if requires_two_factor(user):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    # One login (a TOTP code is accepted once), then the same page at both sizes.
    person = journey(viewport=DESKTOP, name=f"dashboard-{who}")
    errors = watch_errors(person.page)
    person.login(user.username)
    if requires_two_factor(user):
        pass_second_factor(person, user)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        person.page.set_viewport_size(viewport)
        person.goto("/?period=year")
        person.page.wait_for_load_state("networkidle")
        canvases = person.page.locator(".dashboard-chart canvas")
        for i in range(canvases.count()):  # Chart.js drew into every chart's canvas
            assert canvases.nth(i).bounding_box()["height"] > 120
        assert person.page.locator("table.dashboard-table, [data-figure]").count() > 0
        person.shot(f"{size}-dashboard")
        nav = person.page.locator("nav.navbar")
        if size == "desktop":
            # One line at 1366 px and down to 1200 px: no label wraps, nothing overflows.
            for width in (1200, 1366):
                person.page.set_viewport_size({"width": width, "height": 768})
                scroll = person.page.evaluate("document.documentElement.scrollWidth")
                assert scroll == width and nav.bounding_box()["height"] < 70, (width, scroll)
            # The bar is as tall as one row of links, and no label wraps.
            assert nav.bounding_box()["height"] < 70, nav.bounding_box()
            for link in person.page.locator("#main-nav .nav-link").all():
                box = link.bounding_box()
                if box:
                    assert box["height"] < 45, (link.inner_text(), box)
        else:
            assert person.page.locator("#main-nav").is_hidden()
            person.page.click("button.navbar-toggler")
            person.page.wait_for_selector("#main-nav.show:not(.collapsing)")
            person.shot(f"{size}-menu")
        person.page.emulate_media(media="print")
        assert person.page.locator(".dashboard-chart").first.is_hidden() or not canvases.count()
        person.shot(f"{size}-print")
        person.page.emulate_media(media="screen")
        assert errors == [], "\n".join(errors)


def test_the_leaders_figures_open_vietnamese_lists_of_the_same_count(
    journey, watch_errors, personas, hamlet_a, hamlet_b
) -> None:
    """Every linked figure of the leadership's dashboard opens one of our pages (never the
    API's developer page) that counts the same, on a phone and on an office screen."""
    world(personas["police"], personas["officer_a"], personas["head_b"], [hamlet_a, hamlet_b])
    leader = personas["leader"]
    person = journey(viewport=DESKTOP, name="leader-figures")
    errors = watch_errors(person.page)
    person.login(leader.username)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        person.page.set_viewport_size(viewport)
        person.goto("/?period=year")
        figures = person.page.locator("a[data-figure][data-count]")
        links = [
            (figures.nth(i).get_attribute("href"), figures.nth(i).get_attribute("data-count"))
            for i in range(figures.count())
        ]
        assert len(links) >= 4
        for href, count in links:
            assert not href.startswith("/api/"), href
            person.goto(href)
            assert person.page.locator("html").get_attribute("lang") == "vi"
            shown = person.page.locator('[data-testid="count"], [data-testid="totals"]').first
            listed = shown.get_attribute("data-count") or shown.get_attribute("data-on-time")
            if listed is None:  # the coverage page counts members
                listed = shown.get_attribute("data-members")
            assert listed == count, (href, listed, count)
            scroll = person.page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= viewport["width"], (href, scroll)
        person.goto(next(href for href, _count in links if "/reports/figures/" in href))
        person.shot(f"{size}-figures")
    assert errors == [], "\n".join(errors)

"""Every page each role can reach fits a 360 px phone: no horizontal scrolling, and the open menu
(a long name and its role badge included) stays inside the screen.

The crawl starts at the home page of each demo role and follows every link of ours it finds
(one page per URL shape: /reports/12/ and /reports/13/ are the same page), on the demo
commune, whose names are as long as real ones. Screenshots of a failure go to
test-artifacts/screenshots/phone-widths-<role>/.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError

from accounts.models import User
from binhyen.tests.test_browser_journeys import pass_second_factor
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 360, "height": 800}
DEMO_ROLES = ["congan", "cskv", "truongap", "vanphong", "lanhdao"]
# Not pages to read on a phone: the admin (the office PC's tool), the API's developer pages,
# files, and links that act (logout, language).
SKIPPED = re.compile(
    r"^/(admin|api|static|media|i18n)/|/logout/|/export|/download|\.(pdf|docx|xlsx|csv|png)$"
    r"|/attachments/|/documents/|/files/|/schema"
)
MAX_PAGES = 80


def shape(path: str) -> str:
    """/reports/12/?page=2 → /reports/#/: one visit per kind of page."""
    return re.sub(r"\d+", "#", path.split("?")[0])


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def links_of(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [href for href in hrefs if href.startswith("/") and not href.startswith("//")]


def crawl(person) -> dict[str, int]:
    """Visit every page shape reachable from the home page; the overflow of each."""
    seen, found, queue = set(), {}, deque(["/"])
    while queue and len(found) < MAX_PAGES:
        path = queue.popleft()
        if shape(path) in seen or SKIPPED.search(path):
            continue
        seen.add(shape(path))
        try:
            response = person.page.goto(person.base_url + path)
        except PlaywrightError:  # a download started: not a page to measure
            continue
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        person.page.wait_for_load_state()
        found[path] = overflow(person.page)
        if found[path] > 0:
            person.shot(shape(path).strip("/").replace("/", "-") or "home")
        queue.extend(links_of(person.page))
    return found


@pytest.fixture
def demo(settings) -> None:
    settings.DEBUG = True  # the demo's published second factor
    call_command("seed_demo", verbosity=0)
    settings.DEBUG = False


@pytest.mark.parametrize("username", DEMO_ROLES)
def test_every_page_of_a_role_fits_a_360px_phone(journey, demo, username: str) -> None:
    user = User.objects.get(username=username)
    user.full_name = "Nguyễn Thị Phương Thảo Hoàng Lan Anh (cán bộ thử)"  # a long name
    user.set_password(PASSWORD)  # the demo password works with DEBUG only
    user.save(update_fields=["full_name", "password"])
    person = journey(viewport=NARROW, name=f"phone-widths-{username}")
    person.login(username)
    if "two-factor" in person.page.url:
        pass_second_factor(person, user)
    person.goto("/")
    person.page.click("button.navbar-toggler")
    person.page.wait_for_selector("#main-nav.show:not(.collapsing)")
    for toggle in person.page.locator("#main-nav .dropdown-toggle").all():
        toggle.click()  # every sub-menu open, the account's (name and role) included
        assert overflow(person.page) <= 0, toggle.inner_text()
        right = person.page.evaluate(
            "Math.max(...[...document.querySelectorAll('#main-nav .dropdown-menu.show *')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert right <= NARROW["width"], (toggle.inner_text(), right)
    found = crawl(person)
    assert len(found) >= 5, found
    too_wide = {path: pixels for path, pixels in found.items() if pixels > 0}
    assert too_wide == {}, too_wide

"""Real browser journeys: Debian's Chromium, driven by Playwright, against a live server.

Each step leaves a screenshot in test-artifacts/screenshots/<test>/ for people to look at.
Every journey also fails on a JavaScript error or a resource the page could not load."""

from __future__ import annotations

import pytest

from accounts.services import notification_send
from conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watch_errors():
    """Collects page errors, console errors and failed requests of the pages it is given."""
    errors: list[str] = []

    def watch(page) -> list[str]:
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
        return errors

    return watch


def test_a_hamlet_head_on_a_phone_reads_a_notification(journey, watch_errors, head_b) -> None:
    notification_send(
        user=head_b,
        key="journey:1",
        kind="report_reply",
        title="Công an xã đã trả lời tin báo của bạn",
        url="/coverage/",
    )
    person = journey(viewport=PHONE)
    errors = watch_errors(person.page)
    person.goto("/")
    person.shot("login-page")
    person.login("head_b")
    assert person.page.locator("[data-testid=role]").inner_text().startswith("Trưởng ấp")
    person.shot("home")

    person.page.click("button.navbar-toggler")  # the phone's collapsed menu
    person.page.wait_for_selector("#main-nav.show:not(.collapsing)")
    badge = person.page.locator("[data-testid=unread-count]")
    assert badge.inner_text() == "1"
    person.shot("menu-with-unread-count")
    person.page.click("[data-nav=notifications]")
    person.page.wait_for_url("**/notifications/")
    person.shot("notifications")

    person.page.click("[data-notification] button[type=submit]")
    person.page.wait_for_url("**/coverage/")
    person.shot("opened-link")
    assert head_b.notifications.unread().count() == 0
    assert person.page.locator("[data-testid=unread-count]").count() == 0
    assert errors == []

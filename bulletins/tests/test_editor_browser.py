"""The bulletin editor in a real browser on a 360 px phone: an officer types two paragraphs and
a list, saves, and reads them as typed on the bulletin's page and in its Zalo text. Screenshots
of the form at 360x800 and 1366x768 go to test-artifacts/screenshots/bulletin-editor/."""

from __future__ import annotations

import pytest

from binhyen.tests.test_browser_journeys import pass_second_factor
from bulletins.models import Bulletin
from conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL_PHONE = {"width": 360, "height": 800}
TYPED = (
    "Bà con lưu ý các dấu hiệu lừa đảo:\n"
    "- Gọi điện xưng là công an\n"
    "- Yêu cầu chuyển tiền để xác minh\n"
    "\n"
    "Khi nghi ngờ, gọi ngay Công an xã.\n"
    "Trân trọng cảm ơn bà con."
)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_typed_paragraphs_and_a_list_reach_the_bulletin_page(
    journey, watch_errors, police, hamlet_a, hamlet_b
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    person = journey(viewport=DESKTOP, name="bulletin-editor")
    errors = watch_errors(person.page)
    person.login("police")
    pass_second_factor(person, police)

    person.goto("/bulletins/new/")
    person.page.click("[data-testid=body-howto] summary")
    assert no_horizontal_scroll(person.page)
    person.shot("form-1366")

    person.page.set_viewport_size(SMALL_PHONE)
    person.goto("/bulletins/new/")
    assert no_horizontal_scroll(person.page)
    person.shot("form-360")
    person.page.fill("input[name=title]", "Cảnh giác cuộc gọi mạo danh công an")
    person.page.select_option("select[name=theme]", "crime_tricks")
    person.page.locator("textarea[name=body]").press_sequentially(TYPED)  # Enter for "\n"
    person.page.click("[data-testid=body-howto] summary")
    person.shot("form-360-typed")
    person.page.click("form button[type=submit].btn-primary")
    person.page.wait_for_url("**/bulletins/*/")

    bulletin = Bulletin.objects.get()
    body = person.page.locator("[data-testid=body]")
    paragraphs = body.locator("p")
    assert paragraphs.count() == 2
    assert paragraphs.nth(0).inner_text() == "Bà con lưu ý các dấu hiệu lừa đảo:"
    assert (
        paragraphs.nth(1).inner_text()
        == "Khi nghi ngờ, gọi ngay Công an xã.\nTrân trọng cảm ơn bà con."
    )
    assert body.locator("ul > li").all_inner_texts() == [
        "Gọi điện xưng là công an",
        "Yêu cầu chuyển tiền để xác minh",
    ]
    zalo = person.page.locator("#zalo-text").inner_text()
    assert zalo == bulletin.zalo_text
    assert "lừa đảo:\n\n• Gọi điện xưng là công an\n• Yêu cầu" in zalo
    assert "xác minh\n\nKhi nghi ngờ" in zalo
    assert no_horizontal_scroll(person.page)
    person.shot("detail-360")

    # Editing shows the text as typed, not HTML.
    person.goto(f"/bulletins/{bulletin.pk}/edit/")
    assert person.page.locator("textarea[name=body]").input_value() == TYPED
    person.shot("edit-360")
    assert errors == [], "\n".join(errors)

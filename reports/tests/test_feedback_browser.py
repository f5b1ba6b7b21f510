"""The reporter's word on a 360 px phone, in Chromium: the tipster answers with the tracking
code, the five satisfaction buttons sit on one row within the screen, large enough for a thumb,
and a "no" sends the tip back to the police."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from groups.models import Commune, Hamlet
from reports.models import IncidentReport, ReportFeedback, Status
from reports.tests.test_feedback import resolve
from reports.tips.services import tip_submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 360, "height": 800}


def test_a_tipster_answers_on_a_360px_phone(
    journey, watch_errors, commune: Commune, hamlet_a: Hamlet, police: User
) -> None:
    filed = tip_submit(
        hamlet=hamlet_a, category="social_evils", description="Tụ tập đánh bạc mỗi tối."
    )
    resolve(police, filed.report)
    person = journey(viewport=NARROW, name="tip-feedback-360")
    errors = watch_errors(person.page)
    person.goto(reverse("tips:track"))
    person.page.fill("input[name=code]", filed.code)
    person.page.click("form button[type=submit]")
    person.page.wait_for_selector("[data-testid=tip-feedback-form]")
    person.shot("asked")
    labels = person.page.locator("[data-testid=feedback-satisfaction] label.btn")
    boxes = [labels.nth(index).bounding_box() for index in range(labels.count())]
    assert len(boxes) == 5
    assert len({round(box["y"]) for box in boxes}) == 1  # one row
    assert all(box["width"] >= 40 and box["height"] >= 40 for box in boxes)  # a thumb's size
    assert boxes[-1]["x"] + boxes[-1]["width"] <= NARROW["width"]
    person.page.click("label:has-text('Chưa giải quyết')")
    labels.nth(1).click()
    assert person.page.is_checked("input[name=satisfaction][value='2']")
    person.page.fill("textarea[name=comment]", "Vẫn còn tụ tập.")
    person.page.click("[data-testid=tip-feedback-form] button[type=submit]")
    person.page.wait_for_selector("[data-testid=feedback-thanks]")
    person.shot("answered")
    assert person.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert "Vẫn còn tụ tập." in person.page.inner_text("main")
    report = IncidentReport.objects.get(pk=filed.report.pk)
    assert report.status == Status.HANDLING
    assert ReportFeedback.objects.get().satisfaction == 2
    assert errors == [], "\n".join(errors)

"""Drafts in a real browser (static/js/drafts.js): what is typed survives a reload, a report
sent offline is queued on the phone, said so, and filed once when the connection returns."""

from __future__ import annotations

import re

import pytest

from conftest import PHONE
from reports.models import IncidentReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUED = "Chưa có mạng: tin báo đã được lưu trên máy và sẽ tự gửi khi có mạng."
SAVED = "() => new Promise((done) => setTimeout(done, 700))"  # the draft is saved after 300 ms


def test_a_report_typed_offline_is_sent_once_when_back_online(
    journey, watch_errors, head_b, hamlet_b
) -> None:
    head = journey(viewport=PHONE)
    errors = watch_errors(head.page)
    head.login("head_b")
    head.goto("/reports/new/")
    head.page.select_option("select[name=category]", "social_evils")
    head.page.fill("input[name=title]", "Tụ tập đánh bạc cuối ấp")
    head.page.fill("textarea[name=description]", "Khoảng 10 người tụ tập đánh bạc ban đêm.")
    head.page.evaluate(SAVED)
    head.page.reload()
    head.page.wait_for_function(
        "document.querySelector('input[name=title]').value === 'Tụ tập đánh bạc cuối ấp'"
    )
    assert head.page.input_value("select[name=category]") == "social_evils"
    assert head.page.locator("[data-testid=draft-status]").is_visible()  # "restored"
    head.shot("restored")

    head.page.context.set_offline(True)
    head.page.click("[data-testid=report-form] [type=submit]")
    status = head.page.locator("[data-testid=draft-status]")
    status.filter(has_text=QUEUED).wait_for()
    head.shot("queued-offline")
    head.page.evaluate(SAVED)
    assert not IncidentReport.objects.exists()  # nothing reached the server

    head.page.context.set_offline(False)
    head.page.wait_for_url(re.compile(r"/reports/\d+/$"))
    head.page.evaluate(SAVED)  # time for a second sender (the worker's sync) to try too
    report = IncidentReport.objects.get()
    assert report.title == "Tụ tập đánh bạc cuối ấp" and report.filed_by == head_b
    assert report.code in head.page.content()
    head.shot("sent")

    head.goto("/reports/new/")  # the draft is gone once the report arrived
    head.page.evaluate(SAVED)
    assert head.page.input_value("input[name=title]") == ""
    assert IncidentReport.objects.count() == 1
    errors[:] = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert errors == [], "\n".join(errors)


def test_an_offline_tip_is_sent_when_back_online_and_leaves_nothing(
    journey, watch_errors, commune, hamlet_a
) -> None:
    person = journey(viewport=PHONE)
    errors = watch_errors(person.page)
    person.goto(f"/tip/{commune.code}/")
    person.page.select_option("select[name=hamlet]", str(hamlet_a.pk))
    person.page.select_option("select[name=category]", "social_evils")
    person.page.fill("textarea[name=description]", "Có người tụ tập đánh bạc mỗi tối ở cuối ấp.")
    person.page.evaluate(SAVED)
    person.page.context.set_offline(True)
    person.page.click("form[data-draft] [type=submit]")
    person.page.locator("[data-testid=draft-status]").filter(has_text=QUEUED).wait_for()
    assert not IncidentReport.objects.exists()

    person.page.context.set_offline(False)
    person.page.locator("[data-testid=tracking-code]").wait_for()
    person.page.evaluate(SAVED)
    assert IncidentReport.objects.count() == 1
    names = person.page.evaluate("indexedDB.databases().then((dbs) => dbs.map((d) => d.name))")
    assert "binhyen-tip-drafts" not in names  # nothing of the tip stays on the phone
    person.shot("tip-received")
    errors[:] = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert errors == [], "\n".join(errors)

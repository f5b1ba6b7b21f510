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
    # A function, not an expression: Playwright evaluates a bare expression with eval(), which
    # the portal's Content Security Policy forbids.
    head.page.wait_for_function(
        "() => document.querySelector('input[name=title]').value === 'Tụ tập đánh bạc cuối ấp'"
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


def test_the_service_workers_background_sync_sends_a_queued_report_once(
    journey, head_b, hamlet_b
) -> None:
    """The page that queued the report is closed: the worker's sync sends it alone."""
    head = journey(viewport=PHONE)
    head.login("head_b")
    head.goto("/reports/new/")
    head.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    head.page.select_option("select[name=category]", "social_evils")
    head.page.fill("input[name=title]", "Cháy rơm ngoài đồng")
    head.page.fill("textarea[name=description]", "Đám cháy rơm lan gần nhà dân.")
    head.page.context.set_offline(True)
    head.page.click("[data-testid=report-form] [type=submit]")
    head.page.locator("[data-testid=draft-status]").filter(has_text=QUEUED).wait_for()
    head.page.evaluate(SAVED)
    assert not IncidentReport.objects.exists()

    context = head.page.context
    other = context.new_page()  # a page to reach the worker through, not the form
    other.goto(head.base_url + "/offline/")
    head.page.close()
    context.set_offline(False)
    session = context.new_cdp_session(other)
    registrations = []
    session.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    session.send("ServiceWorker.enable")
    other.wait_for_timeout(500)
    [registration] = [r for r in registrations if not r["isDeleted"]]
    session.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": head.base_url,
            "registrationId": registration["registrationId"],
            "tag": "binhyen-drafts",
            "lastChance": False,
        },
    )
    for _ in range(40):
        if IncidentReport.objects.exists():
            break
        other.wait_for_timeout(250)
    session.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": head.base_url,
            "registrationId": registration["registrationId"],
            "tag": "binhyen-drafts",
            "lastChance": False,
        },
    )
    other.wait_for_timeout(1000)
    report = IncidentReport.objects.get()
    assert report.title == "Cháy rơm ngoài đồng" and report.filed_by == head_b
    left = other.evaluate(
        """() => new Promise((done) => {
            const open = indexedDB.open("binhyen-drafts", 1);
            open.onsuccess = () => {
                const read = open.result.transaction("drafts").objectStore("drafts").getAll();
                read.onsuccess = () => done(read.result);
            };
        })"""
    )
    # Nothing typed stays on the phone, only where the report went (for a page that was
    # waiting to send it).
    [kept] = left
    assert kept["fields"] == [] and kept["files"] == [] and not kept["queued"]
    assert kept["filedAt"].endswith(f"/reports/{report.pk}/")
    assert "Cháy rơm" not in str(kept)
    other.goto(head.base_url + "/reports/new/")  # the next form starts empty
    other.evaluate(SAVED)
    assert other.input_value("input[name=title]") == ""


def test_logging_out_of_a_shared_phone_asks_then_leaves_no_draft(journey, head_b, hamlet_b) -> None:
    head = journey(viewport=PHONE)
    head.login("head_b")
    head.goto("/reports/new/")
    head.page.fill("input[name=title]", "Nhà ông Tám có người lạ ra vào")
    head.page.evaluate(SAVED)
    asked = []

    def answer(dialog) -> None:  # first "stay", then "log out"
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    head.page.on("dialog", answer)
    head.logout(leaves=False)
    head.page.wait_for_function("() => document.querySelector('[data-testid=report-form]')")
    head.page.evaluate(SAVED)
    assert asked == [
        "Một tin báo bạn chưa gửi đang được lưu trên máy này. Đăng xuất sẽ xóa nó. Vẫn đăng xuất?"
    ]
    assert "/reports/new/" in head.page.url  # stayed, the draft with it
    head.page.reload()
    head.page.wait_for_function(
        "() => document.querySelector('input[name=title]').value.startsWith('Nhà ông Tám')"
    )

    head.logout()
    assert len(asked) == 2
    head.page.wait_for_function(
        "() => indexedDB.databases().then((dbs) => !dbs.some((d) => d.name === 'binhyen-drafts'))"
    )
    head.shot("logged-out")
    head.login("head_b")  # the next person (or the same) starts from an empty form
    head.goto("/reports/new/")
    head.page.evaluate(SAVED)
    assert head.page.input_value("input[name=title]") == ""
    # Nothing typed, nothing asked: accounts/tests/test_push_browser.py logs out with no draft.


def test_location_on_request_and_a_photo_from_the_camera(journey, head_b, hamlet_b) -> None:
    from binhyen.tests.test_browser_journeys import PNG

    head = journey(viewport=PHONE)
    head.login("head_b")
    head.goto("/reports/new/")
    status = head.page.locator("[data-locate-status]")
    head.page.click("[data-locate-button]")  # no permission given: it is said
    status.filter(has_text="Quyền truy cập vị trí đã bị từ chối").wait_for()
    assert head.page.input_value("input[name=latitude]") == ""

    head.page.context.grant_permissions(["geolocation"])
    head.page.context.set_geolocation({"latitude": 10.762622, "longitude": 106.660172})
    head.page.reload()  # the refusal holds for the page that got it
    head.page.click("[data-locate-button]")
    status.filter(has_text="Đã điền vị trí").wait_for()
    assert head.page.input_value("input[name=latitude]") == "10.762622"
    assert head.page.input_value("input[name=longitude]") == "106.660172"

    photo = {"name": "camera.png", "mimeType": "image/png", "buffer": PNG}
    head.page.set_input_files("[data-camera-input]", files=[photo])
    assert head.page.evaluate("document.querySelector('input[name=photos]').files.length") == 1
    head.shot("located-and-photographed")

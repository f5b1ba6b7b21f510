"""Real browser journeys: Debian's Chromium, driven by Playwright, against a live server.

Each step leaves a screenshot in test-artifacts/screenshots/<test>/ for people to look at.
Every journey also fails on a JavaScript error or a resource the page could not load."""

from __future__ import annotations

import re

import pytest

from accounts.services import notification_send
from conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    assert errors == [], "\n".join(errors)


PNG = (  # a 1 × 1 red pixel, as Pillow writes it (every stored photo is decoded and re-encoded)
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pass_second_factor(person, user) -> None:
    """Police must verify a TOTP code after their password (django-otp)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None
    person.page.wait_for_url("**/two-factor/verify/**")
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    person.page.fill("input[name=otp_token]", f"{value:06d}")
    person.page.click("form:has(input[name=otp_token]) button[type=submit]")
    person.page.wait_for_load_state()


def test_a_report_from_a_hamlet_heads_phone_to_its_resolution(
    journey, watch_errors, head_b, police, officer_a, hamlet_b
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from reports.models import IncidentReport, Status

    officer_a.hamlets.add(hamlet_b)  # the officer the police will assign it to
    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)

    # 1. The hamlet head files a report with a photo, from a phone.
    head = journey(viewport=PHONE, name="report-1-hamlet-head-files")
    errors = watch_errors(head.page)
    head.login("head_b")
    head.goto("/reports/new/")
    head.page.select_option("select[name=category]", "social_evils")
    head.page.fill("input[name=title]", "Tụ tập đánh bạc cuối ấp")
    head.page.fill("textarea[name=description]", "Khoảng 10 người tụ tập <b>đánh bạc</b> ban đêm.")
    head.page.set_input_files(
        "input[name=photos]", files=[{"name": "anh.png", "mimeType": "image/png", "buffer": PNG}]
    )
    head.shot("form-filled")
    head.page.click("[data-testid=report-form] [type=submit]")
    # A report's own page: "**/reports/*/" would match the form's /reports/new/ at once.
    head.page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    report = IncidentReport.objects.get()
    assert report.code in head.page.content()
    assert report.attachments.count() == 1
    assert "<b>đánh bạc</b>" not in head.page.content()  # shown as text
    head.shot("filed")

    # 2. The police triage it: assign, verify, handle, resolve, and reply to the hamlet head.
    desk = journey(name="report-2-police-triage")
    errors += watch_errors(desk.page)
    desk.login("police")
    pass_second_factor(desk, police)
    desk.goto("/reports/")
    desk.shot("queue")
    desk.page.click(f"a:has-text('{report.code}')")
    desk.page.wait_for_url(f"**/reports/{report.pk}/")
    desk.page.select_option("select[name=assignee]", str(officer_a.pk))
    desk.page.click("[data-testid=assign-form] button[type=submit]")
    desk.page.wait_for_load_state()
    for status in (Status.VERIFYING, Status.HANDLING, Status.RESOLVED):
        desk.page.select_option("select[name=to_status]", status.value)
        desk.page.click("[data-testid=transition-form] button[type=submit]")
        desk.page.wait_for_load_state()
    desk.page.fill("textarea[name=text]", "Công an xã đã xác minh và giải tán, cảm ơn ấp.")
    desk.page.check("input[name=shared]")
    desk.page.click("[data-testid=comment-form] button[type=submit]")
    desk.page.wait_for_load_state()
    desk.shot("resolved")
    report.refresh_from_db()
    assert report.status == Status.RESOLVED
    assert report.assigned_to == officer_a

    # 3. The hamlet head reads the reply.
    head.goto(f"/reports/{report.pk}/")
    assert "Công an xã đã xác minh và giải tán" in head.page.content()
    head.shot("reads-the-reply")
    assert errors == [], "\n".join(errors)


def test_an_officer_works_the_posting_checklist_on_a_phone(
    journey, watch_errors, officer_a, police, hamlet_a
) -> None:
    from bulletins.models import Posting
    from bulletins.tests.factories import published
    from groups.tests.factories import ZaloGroupFactory

    ZaloGroupFactory(hamlet=hamlet_a, admin_officer=officer_a)
    published(police, hamlet_a, title="Cảnh giác lừa đảo qua mạng")
    officer = journey(viewport=PHONE, name="checklist-officer")
    officer.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors = watch_errors(officer.page)
    officer.login("officer_a")
    officer.goto("/checklist/")
    officer.shot("to-do")
    officer.page.click("[data-testid=copy-button]")
    copied = officer.page.evaluate("navigator.clipboard.readText()")
    assert copied.strip()  # the Zalo-ready text is on the clipboard
    officer.shot("copied")
    officer.page.click("[data-testid=mark-posted]")
    officer.page.wait_for_load_state()
    officer.shot("posted")
    assert Posting.objects.get().status == Posting.Status.POSTED
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_party_office_downloads_a_review_pdf(
    journey, watch_errors, party_office, commune, settings, tmp_path, size
) -> None:
    import shutil
    import subprocess
    from unittest import mock

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import requires_two_factor
    from reviews import services as reviews

    settings.DATA_DIR = tmp_path  # the built documents go to a folder of this test's own
    review = reviews.review_create(actor=None, commune=commune, year=2026)
    with mock.patch("reviews.services.enqueue_on_commit"):  # built here, not by a worker
        build = reviews.build_request(actor=None, review=review)
    assert reviews.build_run(build.pk).status == "done"

    office = journey(
        viewport=PHONE if size == "phone" else DESKTOP, name=f"review-pdf-party-office-{size}"
    )
    errors = watch_errors(office.page)
    office.login("party")
    if requires_two_factor(party_office):  # finalising a review needs the second factor
        TOTPDevice.objects.get_or_create(user=party_office, name="phone", confirmed=True)
        pass_second_factor(office, party_office)
    office.goto("/reviews/")
    office.page.wait_for_selector(f"[data-review='{review.pk}']")
    office.shot("reviews-list")
    with office.page.expect_download() as download_info:
        office.page.click(f"[data-review='{review.pk}'] a:has-text('PDF')")
    download = download_info.value
    path = tmp_path / "downloaded.pdf"
    download.save_as(path)
    office.shot("downloaded")
    assert download.suggested_filename.endswith(".pdf")
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
        assert "DỰ THẢO" in text  # a draft, marked as such on every page
        assert commune.name.upper() in text.upper()
    if shutil.which("pdftoppm"):  # its first page, for people to look at with the screenshots
        office.step += 1
        first = office.folder / f"{office.step:02d}-pdf-first-page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path), first],
            check=True,
        )
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_anonymous_tip_from_the_form_to_its_tracking_page(
    journey, watch_errors, commune, hamlet_a, size
) -> None:
    """The public tip form on a phone and an office screen: nothing is chosen for the tipster,
    a missing category is said in Vietnamese, the code opens the tip's status page."""
    person = journey(viewport=PHONE if size == "phone" else DESKTOP, name=f"tip-{size}")
    errors = watch_errors(person.page)
    person.goto(f"/tip/{commune.code}/")
    assert person.page.input_value("select[name=category]") == ""
    person.shot("form")
    person.page.select_option("select[name=hamlet]", label=hamlet_a.name)
    person.page.fill("textarea[name=description]", "Có người lạ hay lảng vảng ở cuối ấp ban đêm.")
    person.page.click("form button[type=submit]")
    person.page.wait_for_load_state()
    # Refused by the server (the form is novalidate: every browser gets the same words), the
    # description kept, the category asked for in Vietnamese.
    assert person.page.locator("#id_category.is-invalid").count() == 1
    assert "bắt buộc" in person.page.inner_text("form").lower()
    assert "lảng vảng" in person.page.input_value("textarea[name=description]")
    person.shot("missing-category")
    errors.clear()  # the 400 of the refused form is the answer we asked for
    person.page.select_option("select[name=category]", index=1)
    person.page.click("form button[type=submit]")
    person.page.wait_for_selector("[data-testid=tracking-code]")
    code = person.page.inner_text("[data-testid=tracking-code]").strip()
    person.shot("code")
    assert person.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    person.goto("/tip/track/")
    person.page.fill("input[name=code]", code.lower())
    person.page.click("form button[type=submit]")
    person.page.wait_for_load_state()
    assert "Mới tiếp nhận" in person.page.inner_text("main")
    person.shot("status")
    assert errors == [], "\n".join(errors)


def test_the_portal_installs_and_shows_its_offline_page_without_a_connection(
    journey, watch_errors, head_b
) -> None:
    """On a 360 px phone: Chromium finds nothing that stops installing the portal (manifest,
    icons, service worker), and with the connection gone a page opens as the offline page."""
    person = journey(viewport={"width": 360, "height": 800}, name="installable-app")
    errors = watch_errors(person.page)
    # What the page asks for the app's badge (headless Chromium shows none).
    person.page.add_init_script(
        "navigator.setAppBadge = (n) => { window.appBadge = n; return Promise.resolve(); };"
        "navigator.clearAppBadge = () => { window.appBadge = 0; return Promise.resolve(); };"
    )
    notification_send(user=head_b, key="badge", kind="test", title="Có phản hồi mới")
    person.login(head_b.username)
    person.goto("/")
    assert person.page.evaluate("window.appBadge") == 1  # the unread count as the badge
    person.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    person.page.reload()  # now under the worker's control
    person.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    session = person.page.context.new_cdp_session(person.page)
    found = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # The test's browser context is an incognito one: that is the browser's, not the site's.
    assert [e for e in found if e["errorId"] != "in-incognito"] == [], found
    manifest = session.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest["errors"]
    person.shot("online")
    person.page.context.set_offline(True)
    person.goto("/reports/")
    assert person.page.locator("[data-testid=offline]").is_visible()
    assert "Không có kết nối" in person.page.inner_text("main")
    person.shot("offline")
    person.page.context.set_offline(False)
    person.goto("/reports/")
    assert person.page.locator("[data-testid=offline]").count() == 0
    errors[:] = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert errors == [], "\n".join(errors)

"""Anonymous web tips: the public form, tracking codes, the reply, rate limits and privacy."""

from __future__ import annotations

import io
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from groups.models import Commune, Hamlet
from reports.models import Attachment, Channel, IncidentReport, ReportEvent, Status, TipAccess
from reports.tips import codes, ratelimit
from reports.tips.services import tip_reply, tip_submit

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
SAME_ORIGIN = "same-origin"  # what a browser sends with a form posted from our own page
CODE_RE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(REMOTE_ADDR=IP)


def tip_url(commune: Commune) -> str:
    return reverse("tips:new", args=[commune.code])


def post_tip(client: Client, commune: Commune, hamlet: Hamlet, **extra):
    data = {
        "hamlet": hamlet.pk,
        "category": "social_evils",
        "description": "Có người tụ tập đánh bạc ở cuối ấp mỗi tối.",
        "website": "",
        **extra,
    }
    return client.post(tip_url(commune), data, HTTP_SEC_FETCH_SITE=SAME_ORIGIN)


def code_of(response) -> str:
    [code] = CODE_RE.findall(response.content.decode())
    return code


def track(client: Client, code: str, **extra):
    return client.post(
        reverse("tips:track"),
        {"code": code, "website": "", **extra},
        HTTP_SEC_FETCH_SITE=SAME_ORIGIN,
    )


def jpeg_with_gps() -> bytes:
    """A real JPEG whose EXIF names a camera and a GPS position."""
    image = Image.new("RGB", (32, 24), "red")
    exif = Image.Exif()
    exif[0x010F] = "Marker-Camera-Maker"  # Make
    exif[0x8825] = {1: "N", 2: (11.0, 30.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


# --- the form -----------------------------------------------------------------------------


def test_the_form_is_public_and_offers_the_communes_hamlets_only(
    client, commune, hamlet_a, hamlet_b, hamlet_elsewhere
) -> None:
    response = client.get(tip_url(commune), {"hamlet": hamlet_b.code})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["hamlet"].queryset) == {hamlet_a, hamlet_b}
    assert form.initial["hamlet"] == hamlet_b
    assert 'name="csrfmiddlewaretoken"' not in response.content.decode()  # no CSRF cookie
    assert client.get(reverse("tips:new", args=["99999"])).status_code == 404


def test_a_hamlet_of_another_commune_is_refused(client, commune, hamlet_elsewhere) -> None:
    response = post_tip(client, commune, hamlet_elsewhere)
    assert response.status_code == 400
    assert "hamlet" in response.context["form"].errors
    assert not IncidentReport.objects.exists()


def test_a_tip_is_filed_anonymously_and_the_code_shown_once(client, commune, hamlet_a) -> None:
    response = post_tip(client, commune, hamlet_a)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = code_of(response)
    assert all(char in codes.ALPHABET for char in code.replace("-", ""))
    report = IncidentReport.objects.get()
    assert (report.channel, report.filed_by, report.status) == (
        Channel.ANONYMOUS_TIP,
        None,
        Status.RECEIVED,
    )
    assert report.code.startswith("TB-") and report.due_at is not None
    assert report.title == "Tin báo ẩn danh: Tệ nạn xã hội"  # the commune's language
    assert list(report.events.values_list("kind", "actor")) == [("created", None)]
    assert report.tip_access.code_hash == codes.code_hash(code) != code
    # The page that follows shows no code again.
    assert code not in client.get(reverse("tips:track")).content.decode()


def test_two_tips_get_different_codes(client, commune, hamlet_a) -> None:
    first = code_of(post_tip(client, commune, hamlet_a))
    second = code_of(post_tip(client, commune, hamlet_a))
    assert first != second
    assert TipAccess.objects.count() == 2


def test_nothing_about_the_tipster_or_the_code_is_stored_or_logged(
    commune, hamlet_a, caplog
) -> None:
    client = Client(REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR="198.51.100.23", HTTP_USER_AGENT="UA-Mk")
    caplog.set_level("DEBUG")
    response = post_tip(
        client, commune, hamlet_a, photo=SimpleUploadedFile("me.jpg", jpeg_with_gps())
    )
    code = code_of(response)
    track(client, code, text="Thêm: họ chơi đến 2 giờ sáng.")
    # Every row of every table, as text: neither the code (in any form) nor the client.
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            dump += [repr(row) for row in cursor.fetchall()]
    text = "\n".join(dump)
    for secret in (code, code.replace("-", ""), IP, "198.51.100.23", "UA-Mk", "me.jpg"):
        assert secret not in text, secret
        assert secret not in caplog.text, secret
    assert "django_session" in connection.introspection.table_names()
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()  # no session is opened for a tipster


def test_a_photo_loses_its_metadata_and_its_name(client, commune, hamlet_a) -> None:
    photo = SimpleUploadedFile("Nguyen-Van-A.jpg", jpeg_with_gps(), content_type="image/jpeg")
    assert post_tip(client, commune, hamlet_a, photo=photo).status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.uploaded_by) == (
        "tip-photo.jpg",
        "image/jpeg",
        None,
    )
    stored = attachment.file.read()
    assert b"Marker-Camera-Maker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert image.size == (32, 24)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "không phải ảnh"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 100, "JPEG, PNG hoặc WebP"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "Không đọc được ảnh"),
    ],
    ids=["exe-named-jpg", "heic", "broken-jpeg"],
)
def test_a_photo_with_a_faked_or_unusable_type_is_refused_clearly(
    client, commune, hamlet_a, content, message
) -> None:
    photo = SimpleUploadedFile("anh.jpg", content, content_type="image/jpeg")
    response = post_tip(client, commune, hamlet_a, photo=photo)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["photo"])
    assert message in response.content.decode()
    assert not IncidentReport.objects.exists()  # nothing half-filed
    assert not Attachment.objects.exists()


def test_html_in_the_description_is_shown_as_text(client, commune, hamlet_a) -> None:
    script = "<script>alert('x')</script><b>đậm</b>"
    code = code_of(post_tip(client, commune, hamlet_a, description=f"Xem này {script}"))
    body = track(client, code).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in body
    assert "<script>alert" not in body


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {},  # neither header: not a browser posting our form
    ],
    ids=["cross-site", "same-site", "foreign-origin", "null-origin", "no-header"],
)
def test_a_post_from_another_site_is_refused(commune, hamlet_a, headers) -> None:
    """The tip pages have no CSRF cookie; Sec-Fetch-Site / Origin stand in for it."""
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR=IP)
    data = {"hamlet": hamlet_a.pk, "category": "crime", "description": "x" * 20, "website": ""}
    assert strict.post(tip_url(commune), data, **headers).status_code == 403
    assert strict.post(reverse("tips:track"), {"code": "x"}, **headers).status_code == 403
    assert not IncidentReport.objects.exists()


def test_a_post_from_our_own_page_needs_no_csrf_cookie(commune, hamlet_a) -> None:
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR=IP)
    assert post_tip(strict, commune, hamlet_a).status_code == 200
    data = {"hamlet": hamlet_a.pk, "category": "crime", "description": "y" * 20, "website": ""}
    # A browser that sends no Sec-Fetch-Site: its Origin must be this site's.
    same = strict.post(tip_url(commune), data, HTTP_ORIGIN="http://testserver")
    assert same.status_code == 200
    assert IncidentReport.objects.count() == 2


def test_the_tip_pages_leave_no_cookie(commune, hamlet_a) -> None:
    """No csrftoken (a year long), session, language or messages cookie on the tipster's phone."""
    client = Client(REMOTE_ADDR=IP)
    answers = [
        client.get(tip_url(commune)),
        client.get(reverse("tips:track")),
        post_tip(client, commune, hamlet_a),
        post_tip(client, commune, hamlet_a, website="spam"),  # honeypot
        post_tip(client, commune, hamlet_a, description=""),  # invalid form
    ]
    code = code_of(answers[2])
    answers += [track(client, code), track(client, code, text="Thêm tin."), track(client, "zz")]
    for response in answers:
        assert response.status_code in (200, 400, 404)
        assert not response.cookies, (response.request["PATH_INFO"], list(response.cookies))
        assert "Set-Cookie" not in response.headers
    assert not client.cookies


# --- floods -------------------------------------------------------------------------------


def test_the_honeypot_files_nothing(client, commune, hamlet_a) -> None:
    response = post_tip(client, commune, hamlet_a, website="http://spam.example")
    assert response.status_code == 400
    assert "Không gửi được tin báo" in response.content.decode()
    assert not IncidentReport.objects.exists()


def test_submissions_are_rate_limited_per_client_politely(client, commune, hamlet_a) -> None:
    for _ in range(ratelimit.SUBMIT.count):
        assert post_tip(client, commune, hamlet_a).status_code == 200
    response = post_tip(client, commune, hamlet_a)
    assert response.status_code == 429
    assert "Vui lòng thử lại sau ít phút" in response.content.decode()
    assert IncidentReport.objects.count() == ratelimit.SUBMIT.count
    # Another client is not held back by the first one.
    other = Client(REMOTE_ADDR="203.0.113.78")
    assert post_tip(other, commune, hamlet_a).status_code == 200


def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended(
    settings, commune, hamlet_a
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for n in range(ratelimit.SUBMIT.count + 1):
        # The client varies what it sends itself; the proxy's entry (last) stays the same.
        spoofing = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, {IP}")
        response = post_tip(spoofing, commune, hamlet_a)
    assert response.status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert post_tip(other, commune, hamlet_a).status_code == 200


def test_a_cache_outage_lets_tips_through(client, commune, hamlet_a) -> None:
    """django-redis with IGNORE_EXCEPTIONS answers None when Redis is down: no 500."""
    with (
        mock.patch.object(cache, "add", return_value=None),
        mock.patch.object(cache, "incr", return_value=None),
    ):
        for _ in range(ratelimit.SUBMIT.count + 1):
            assert post_tip(client, commune, hamlet_a).status_code == 200


def test_code_guessing_is_rate_limited(client) -> None:
    for _ in range(ratelimit.TRACK.count):
        assert track(client, codes.new_code()).status_code == 404
    response = track(client, codes.new_code())
    assert response.status_code == 429
    assert "Vui lòng thử lại sau ít phút" in response.content.decode()


# --- following a tip ----------------------------------------------------------------------


def test_the_code_opens_the_tip_however_it_is_typed(client, commune, hamlet_a) -> None:
    code = code_of(post_tip(client, commune, hamlet_a))
    sloppy = " " + code.replace("-", " ").lower().replace("0", "o").replace("1", "l") + " "
    for typed in (code, sloppy, code.replace("-", "")):
        response = track(client, typed)
        assert response.status_code == 200, typed
        assert "no-store" in response["Cache-Control"]
        assert response.context["report"].tip_access.code_hash == codes.code_hash(code)
        assert "Mới tiếp nhận" in response.content.decode()


def _without_csrf(body: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())


def test_a_wrong_code_is_a_generic_not_found(client, commune, hamlet_a) -> None:
    code = code_of(post_tip(client, commune, hamlet_a))
    near = code[:-1] + ("2" if code[-1] != "2" else "3")  # one symbol off
    answers = [track(client, typed) for typed in (near, "ABCD", "", "x" * 40, codes.new_code())]
    assert {response.status_code for response in answers} == {404}
    bodies = {_without_csrf(response.content) for response in answers}
    assert len(bodies) == 1  # malformed, unknown, one-off: the very same page
    assert "Không tìm thấy tin báo nào với mã này" in bodies.pop()


def test_the_public_reply_is_shown_and_written_by_police_only(
    client, commune, hamlet_a, police, officer_a, head_b
) -> None:
    code = code_of(post_tip(client, commune, hamlet_a))
    access = TipAccess.objects.get()
    with pytest.raises(PermissionDenied):
        tip_reply(actor=head_b, access=access, text="không được")
    tip_reply(actor=officer_a, access=access, text="Đã xác minh <b>xong</b>, cảm ơn bạn.")
    body = track(client, code).content.decode()
    assert "Đã xác minh &lt;b&gt;xong&lt;/b&gt;, cảm ơn bạn." in body
    access.refresh_from_db()
    assert (access.replied_by, access.replied_at is not None) == (officer_a, True)
    # Noted on the timeline, internal.
    note = access.report.events.get(kind="comment", actor=officer_a)
    assert note.shared is False and "Đã xác minh" in note.text


def test_an_officer_of_another_hamlet_cannot_reply(commune, hamlet_b, officer_a) -> None:
    filed = tip_submit(hamlet=hamlet_b, category="crime", description="Trộm gà ban đêm ở ấp B.")
    with pytest.raises(PermissionDenied):
        tip_reply(actor=officer_a, access=filed.report.tip_access, text="x")


def test_the_reply_is_written_in_the_admin(commune, hamlet_a, police: User) -> None:
    filed = tip_submit(hamlet=hamlet_a, category="crime", description="Trộm gà ban đêm ở ấp A.")
    admin = Client()
    admin.force_login(police)
    url = reverse("admin:reports_tipaccess_change", args=[filed.report.tip_access.pk])
    page = admin.get(url).content.decode()
    assert filed.report.tip_access.code_hash not in page
    response = admin.post(url, {"public_reply": "Công an xã đã tiếp nhận."})
    assert response.status_code == 302
    access = TipAccess.objects.get()
    assert (access.public_reply, access.replied_by) == ("Công an xã đã tiếp nhận.", police)


def test_the_tipster_adds_information(client, commune, hamlet_a) -> None:
    code = code_of(post_tip(client, commune, hamlet_a))
    response = track(client, code, text="Biển số xe 93A-123.45 <i>đỏ</i>")
    assert response.status_code == 200
    assert "Cảm ơn bạn: thông tin đã được bổ sung." in response.content.decode()
    assert "Biển số xe 93A-123.45 &lt;i&gt;đỏ&lt;/i&gt;" in response.content.decode()
    event = ReportEvent.objects.get(kind="comment")
    assert (event.actor, event.shared, event.text) == (
        None,
        True,
        "Biển số xe 93A-123.45 <i>đỏ</i>",
    )
    assert track(client, code, text="   ").status_code == 200
    assert ReportEvent.objects.filter(kind="comment").count() == 1


def test_no_information_is_added_once_the_tip_is_dealt_with(
    client, commune, hamlet_a, police
) -> None:
    code = code_of(post_tip(client, commune, hamlet_a))
    IncidentReport.objects.update(status=Status.UNFOUNDED)
    response = track(client, code, text="Còn nữa")
    assert "không thể bổ sung" in response.content.decode()
    assert not ReportEvent.objects.filter(kind="comment").exists()


def test_a_tip_counts_for_the_police_like_any_report(client, commune, hamlet_a, police) -> None:
    code_of(post_tip(client, commune, hamlet_a))
    assert IncidentReport.objects.visible_to(police).filter(channel="anonymous_tip").count() == 1


# --- the QR code --------------------------------------------------------------------------


def test_the_qr_code_is_an_svg_of_the_tip_page(client, commune, hamlet_a) -> None:
    response = client.get(reverse("tips:qr", args=[commune.code]), {"hamlet": hamlet_a.code})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith((b"<?xml", b"<svg"))
    assert client.get(reverse("tips:qr", args=["99999"])).status_code == 404


# --- codes --------------------------------------------------------------------------------


def test_codes_have_80_bits_and_read_forgivingly() -> None:
    drawn = {codes.new_code() for _ in range(200)}
    assert len(drawn) == 200
    assert all(CODE_RE.fullmatch(code) for code in drawn)
    assert len(codes.ALPHABET) ** codes.LENGTH == 2**80
    assert codes.normalize("abcd efgh-jkmn pqrs") == "ABCDEFGHJKMNPQRS"
    assert codes.normalize("oIl0-0000-0000-0000") == "0110000000000000"
    assert codes.normalize("UUUU-0000-0000-0000") is None  # U is not in the alphabet
    assert codes.normalize("0000-0000-0000") is None


def test_codes_survive_a_rotated_secret_key(settings, commune, hamlet_a) -> None:
    filed = tip_submit(hamlet=hamlet_a, category="crime", description="Trộm gà ban đêm ở ấp A.")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789-abcdefghij"
    from reports.tips.services import tip_find

    assert tip_find(filed.code) == filed.report.tip_access
    settings.SECRET_KEY_FALLBACKS = []
    assert tip_find(filed.code) is None


# --- the body, before it is read ------------------------------------------------------------


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def test_a_huge_body_is_refused_from_its_content_length_without_reading(client, commune) -> None:
    response = client.post(
        tip_url(commune),
        HTTP_SEC_FETCH_SITE=SAME_ORIGIN,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(400 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert "quá lớn" in response.content.decode()
    assert not IncidentReport.objects.exists()


def test_the_rate_limit_answers_before_the_body_is_parsed(client, commune, hamlet_a) -> None:
    for _ in range(ratelimit.SUBMIT.count):
        assert post_tip(client, commune, hamlet_a).status_code == 200
    response = client.post(
        tip_url(commune),
        HTTP_SEC_FETCH_SITE=SAME_ORIGIN,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH="5000",
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 429


def test_a_large_photo_is_stored_downscaled(client, commune, hamlet_a, monkeypatch) -> None:
    from binhyen import images

    monkeypatch.setattr(images, "DOWNSCALE_PIXELS", 100 * 100)
    monkeypatch.setattr(images, "MAX_SIDE", 50)
    out = io.BytesIO()
    Image.new("RGB", (300, 150), "green").save(out, format="JPEG")
    photo = SimpleUploadedFile("big.jpg", out.getvalue(), content_type="image/jpeg")
    assert post_tip(client, commune, hamlet_a, photo=photo).status_code == 200
    with Image.open(Attachment.objects.get().file) as stored:
        assert stored.size == (50, 25)


# --- times ----------------------------------------------------------------------------------


def test_the_times_of_a_tip_are_stored_to_the_minute_only(client, commune, hamlet_a) -> None:
    """A stored time to the microsecond could be matched with a log of the request."""
    from auditlog.models import LogEntry

    photo = SimpleUploadedFile("a.jpg", jpeg_with_gps(), content_type="image/jpeg")
    code = code_of(post_tip(client, commune, hamlet_a, photo=photo))
    track(client, code, text="Thêm: họ chơi đến 2 giờ sáng.")
    report = IncidentReport.objects.get()
    times = [report.created_at, report.updated_at, TipAccess.objects.get().created_at]
    times += [event.created_at for event in report.events.all()]
    times += [attachment.created_at for attachment in report.attachments.all()]
    times += [entry.timestamp for entry in LogEntry.objects.get_for_object(report)]
    assert len(times) >= 6
    for moment in times:
        assert (moment.second, moment.microsecond) == (0, 0), moment


# --- error reports --------------------------------------------------------------------------


def test_an_error_report_of_a_tip_carries_nothing_of_it(rf, commune, hamlet_a) -> None:
    import sys

    from django.views.debug import ExceptionReporter

    from reports.tips import views

    secret = "Zyxwv-tip-secret-4417"
    data = {"hamlet": hamlet_a.pk, "category": "crime", "description": secret, "website": ""}
    request = rf.post(tip_url(commune), data, HTTP_SEC_FETCH_SITE=SAME_ORIGIN, REMOTE_ADDR=IP)
    with mock.patch.object(views, "tip_submit", side_effect=RuntimeError("boom")):
        try:
            views.tip_new(request, commune_code=commune.code)
        except RuntimeError:
            kind, value, trace = sys.exc_info()
            # From the view's frame on: this test's own frame holds the secret, of course.
            report = ExceptionReporter(request, kind, value, trace.tb_next)
            text = report.get_traceback_text() + report.get_traceback_html()
    assert "boom" in text  # the report was made
    assert secret not in text


def test_no_choice_is_made_for_the_tipster_or_the_hamlet_head(
    client, commune, hamlet_a, head_b
) -> None:
    """A required choice on a public or phone form starts empty: a careless tip would otherwise
    land in the first category (national security). Every <select> of the tip form and of the
    hamlet head's report form has its empty option selected, and a tip without a category is
    refused, nothing filed."""
    from reports.models import IncidentReport

    pages = {"tip": client.get(tip_url(commune)).content.decode()}
    head = Client()
    head.force_login(head_b)
    pages["report"] = head.get(reverse("reports:report-create")).content.decode()
    for name, html in pages.items():
        for select in re.findall(r"<select[^>]*>.*?</select>", html, flags=re.S):
            options = re.findall(r"<option[^>]*>", select)
            # What the browser shows chosen: the option marked selected, else the first.
            shown = next((option for option in options if "selected" in option), options[0])
            if len(options) > 2:  # a list with one real option may preselect it
                assert 'value=""' in shown, (name, select[:120], shown)
    refused = post_tip(client, commune, hamlet_a, category="")
    assert refused.status_code == 400 and not IncidentReport.objects.exists()

"""A draft sent twice (the phone lost the answer, or its queued copy was sent by the page and
by the service worker) files one report, through every door that files (static/js/drafts.js,
IncidentReport.submission_key)."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import logged_in, logged_in_api
from reports import services
from reports.models import Attachment, IncidentReport

from .test_attachments import PNG
from .test_tips import CODE_RE, post_tip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def _report(hamlet, key: uuid.UUID | None, **extra) -> dict:
    values = {
        "hamlet": hamlet.pk,
        "category": "crime",
        "urgency": "normal",
        "title": "Mất trộm gà",
        "description": "Đêm qua mất 5 con gà.",
        **extra,
    }
    if key is not None:
        values["submission_key"] = str(key)
    return values


def test_the_report_form_files_a_draft_once_with_its_photos_once(head_b, hamlet_b) -> None:
    client = logged_in(head_b)
    key = uuid.uuid4()
    url = reverse("reports:report-create")
    for _ in range(2):
        photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
        response = client.post(url, _report(hamlet_b, key, photos=photo))
        assert response.status_code == 302
    report = IncidentReport.objects.get()
    assert response.url == reverse("reports:report-detail", args=[report.pk])
    assert report.submission_key == key
    assert Attachment.objects.filter(report=report).count() == 1


@pytest.fixture
def at_the_same_moment(monkeypatch):
    """The second copy of a draft checked for an earlier report before the first copy's
    transaction committed (the page and the phone's Background Sync sending together): the
    first look finds nothing, and the unique key is what stops it."""
    real = services.filed_before
    looks = []

    def filed_before(**kwargs):
        looks.append(kwargs)
        return None if len(looks) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "filed_before", filed_before)
    return looks


@pytest.mark.django_db(transaction=True)  # the unique key's refusal, as PostgreSQL gives it
def test_a_draft_arriving_twice_at_once_gives_the_first_report(
    head_b, hamlet_b, at_the_same_moment
) -> None:
    client = logged_in(head_b)
    key = uuid.uuid4()
    url = reverse("reports:report-create")
    photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    first = client.post(url, _report(hamlet_b, key, photos=photo))
    at_the_same_moment.clear()
    photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    again = client.post(url, _report(hamlet_b, key, photos=photo), follow=True)
    report = IncidentReport.objects.get()
    assert len(at_the_same_moment) == 2  # the race was really run
    assert (
        first.url
        == again.redirect_chain[-1][0]
        == reverse("reports:report-detail", args=[report.pk])
    )
    assert f"{report.code}" in again.content.decode()
    assert Attachment.objects.filter(report=report).count() == 1
    # The refused copy gave its number back: the next report follows without a gap.
    client.post(url, _report(hamlet_b, None))
    assert sorted(IncidentReport.objects.values_list("code", flat=True))[-1].endswith("00002")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_a_draft_arriving_twice_at_once_with_the_first_report(
    head_b, hamlet_b, at_the_same_moment
) -> None:
    client = logged_in_api(head_b)
    body = _report(hamlet_b, uuid.uuid4(), channel="web_form")
    first = client.post("/api/v1/reports/", body, format="json")
    at_the_same_moment.clear()
    again = client.post("/api/v1/reports/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(at_the_same_moment) == 2
    assert first.json()["id"] == again.json()["id"]
    assert IncidentReport.objects.count() == 1


def test_without_a_key_each_submission_is_a_report(head_b, hamlet_b) -> None:
    client = logged_in(head_b)
    for _ in range(2):
        client.post(reverse("reports:report-create"), _report(hamlet_b, None))
    assert IncidentReport.objects.count() == 2


def test_a_key_of_someone_elses_report_opens_nothing(head_b, police, hamlet_b) -> None:
    key = uuid.uuid4()
    logged_in(police).post(
        reverse("reports:report-create"), _report(hamlet_b, key, channel="phone")
    )
    theirs = IncidentReport.objects.get()
    response = logged_in(head_b).post(reverse("reports:report-create"), _report(hamlet_b, key))
    assert response.status_code == 200  # the form, with the refusal
    assert theirs.code not in response.content.decode()
    assert IncidentReport.objects.count() == 1


def test_the_api_files_a_draft_once(head_b, hamlet_b) -> None:
    client = logged_in_api(head_b)
    body = _report(hamlet_b, uuid.uuid4(), channel="web_form")
    first = client.post("/api/v1/reports/", body, format="json")
    again = client.post("/api/v1/reports/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert IncidentReport.objects.count() == 1


def test_the_api_refuses_a_key_of_someone_elses_report(head_b, police, hamlet_b) -> None:
    key = uuid.uuid4()
    body = _report(hamlet_b, key, channel="web_form")
    assert logged_in_api(police).post("/api/v1/reports/", body, format="json").status_code == 201
    response = logged_in_api(head_b).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400
    assert IncidentReport.objects.count() == 1


def test_a_tip_sent_twice_is_filed_once_and_its_code_not_shown_again(commune, hamlet_a) -> None:
    client = Client(REMOTE_ADDR="203.0.113.78")
    key = str(uuid.uuid4())
    first = post_tip(client, commune, hamlet_a, submission_key=key)
    again = post_tip(client, commune, hamlet_a, submission_key=key)
    assert first.status_code == again.status_code == 200
    assert len(CODE_RE.findall(first.content.decode())) == 1
    assert not CODE_RE.findall(again.content.decode())
    assert b'data-testid="tip-repeated"' in again.content
    assert b"data-draft-sent" in again.content  # the draft is removed from the phone
    assert IncidentReport.objects.count() == 1


def test_the_report_form_takes_a_location(head_b, hamlet_b) -> None:
    client = logged_in(head_b)
    values = _report(hamlet_b, None, latitude="10.762622", longitude="106.660172")
    assert client.post(reverse("reports:report-create"), values).status_code == 302
    report = IncidentReport.objects.get()
    assert (str(report.latitude), str(report.longitude)) == ("10.762622", "106.660172")


def test_the_forms_offer_location_camera_and_drafts(head_b, commune) -> None:
    response = logged_in(head_b).get(reverse("reports:report-create"))
    assert "geolocation=(self)" in response["Permissions-Policy"]  # only this page may ask
    assert "camera=()" in response["Permissions-Policy"]  # the camera is the phone's own app
    page = response.content.decode()
    assert "data-locate" in page and 'capture="environment"' in page
    assert f'data-draft="report:{head_b.pk}"' in page and 'name="submission_key"' in page
    tip = Client().get(reverse("tips:new", args=[commune.code])).content.decode()
    assert 'data-draft-db="binhyen-tip-drafts"' in tip and 'capture="environment"' in tip
    assert (
        "geolocation=()"
        in Client().get(reverse("tips:new", args=[commune.code]))["Permissions-Policy"]
    )

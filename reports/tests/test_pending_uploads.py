"""A photo chosen on the report form survives a refused submission (#19 item 17): kept for the
uploader's session only, shown as "Ảnh đã chọn: <name> (bỏ)", sent with the next submission
without choosing it again, never reachable by another user, and gone after an hour."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import pending
from reports.models import Attachment, IncidentReport
from reports.tests.test_views import CREATE, EXE, JPEG, client_of, form_data, text

pytestmark = pytest.mark.django_db


def photo(name: str = "anh-hien-truong.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG, "image/jpeg")


def pending_files_on_disk(settings) -> list[Path]:
    folder = Path(settings.DATA_DIR) / "private" / "pending"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def refused(client, hamlet, **extra):
    """A submission without its title: refused, the form shown again."""
    response = client.post(CREATE, form_data(hamlet, title="", **extra))
    assert response.status_code == 200 and not IncidentReport.objects.exists()
    return response


def test_a_photo_chosen_before_a_refusal_is_sent_with_the_next_submission(
    head_b, hamlet_b, settings
) -> None:
    client = client_of(head_b)
    html = text(refused(client, hamlet_b, photos=[photo()]))
    assert "Ảnh đã chọn: anh-hien-truong.jpg" in html and ">bỏ</label>)" in html
    assert len(pending_files_on_disk(settings)) == 1

    response = client.post(CREATE, form_data(hamlet_b))  # no file chosen this time
    report = IncidentReport.objects.get()
    assert response.status_code == 302
    attachment = Attachment.objects.get(report=report)
    assert attachment.original_name == "anh-hien-truong.jpg"
    assert attachment.file.open("rb").read().startswith(b"\xff\xd8\xff")
    assert pending_files_on_disk(settings) == [] and pending.SESSION_KEY not in client.session


def test_kept_and_new_files_go_together_and_a_dropped_one_does_not(
    head_b, hamlet_b, settings
) -> None:
    client = client_of(head_b)
    refused(client, hamlet_b, photos=[photo("mot.jpg"), photo("hai.jpg")])
    tokens = {u.name: u.token for u in pending.pending_list(client.session, head_b.pk)}
    html = text(
        refused(client, hamlet_b, drop_pending=[tokens["hai.jpg"]], photos=[photo("ba.jpg")])
    )
    assert "Ảnh đã chọn: mot.jpg" in html and "Ảnh đã chọn: ba.jpg" in html
    assert "hai.jpg" not in html and len(pending_files_on_disk(settings)) == 2
    client.post(CREATE, form_data(hamlet_b))
    names = set(Attachment.objects.values_list("original_name", flat=True))
    assert names == {"mot.jpg", "ba.jpg"}


def test_a_file_that_could_not_be_attached_is_not_kept(head_b, hamlet_b, settings) -> None:
    client = client_of(head_b)
    html = text(refused(client, hamlet_b, photos=[SimpleUploadedFile("x.jpg", EXE, "image/jpeg")]))
    assert 'data-testid="pending-uploads"' not in html and pending_files_on_disk(settings) == []


def test_another_user_can_never_send_someone_elses_pending_file(
    head_b, police, hamlet_b, settings
) -> None:
    client = client_of(head_b)
    refused(client, hamlet_b, photos=[photo()])
    [upload] = pending.pending_list(client.session, head_b.pk)
    other = client_of(police)
    html = text(other.get(CREATE))
    assert "anh-hien-truong.jpg" not in html
    # Naming the token in any field gets nothing: only the session's own list is read.
    other.post(CREATE, form_data(hamlet_b, drop_pending=upload.token, pending=upload.token))
    assert not Attachment.objects.exists()
    # Nor does the same session once its user changed (a login starts a new session).
    client.force_login(police)
    client.post(CREATE, form_data(hamlet_b))
    assert not Attachment.objects.exists()


def test_a_pending_file_expires_after_an_hour(head_b, hamlet_b, settings) -> None:
    client = client_of(head_b)
    refused(client, hamlet_b, photos=[photo()])
    session = client.session  # as if an hour and a minute had passed
    for entry in session[pending.SESSION_KEY]:
        entry["at"] -= pending.PENDING_MAX_AGE + 60
    session.save()
    html = text(refused(client, hamlet_b))
    assert "anh-hien-truong.jpg" not in html
    client.post(CREATE, form_data(hamlet_b))
    assert IncidentReport.objects.count() == 1 and not Attachment.objects.exists()
    assert pending_files_on_disk(settings) == []


def test_opening_the_form_again_starts_without_files(head_b, hamlet_b, settings) -> None:
    client = client_of(head_b)
    refused(client, hamlet_b, photos=[photo()])
    assert "anh-hien-truong.jpg" not in text(client.get(reverse("reports:report-create")))
    assert pending_files_on_disk(settings) == []


def test_kept_files_count_towards_the_limit(head_b, hamlet_b) -> None:
    client = client_of(head_b)
    refused(client, hamlet_b, photos=[photo(f"{n}.jpg") for n in range(5)])
    response = client.post(CREATE, form_data(hamlet_b, photos=[photo("6.jpg")]))
    assert response.status_code == 200 and "tối đa 5" in text(response)
    assert not IncidentReport.objects.exists()


def test_files_left_behind_by_any_session_are_removed_after_an_hour(
    head_b, police, hamlet_b, settings
) -> None:
    refused(client_of(head_b), hamlet_b, photos=[photo()])  # then never came back
    [left] = pending_files_on_disk(settings)
    hour_ago = left.stat().st_mtime - pending.PENDING_MAX_AGE - 60
    os.utime(left, (hour_ago, hour_ago))
    refused(client_of(police), hamlet_b, photos=[photo("khac.jpg")])
    assert not left.exists() and len(pending_files_on_disk(settings)) == 1

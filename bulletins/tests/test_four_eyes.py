"""Four eyes on a bulletin: nobody who changed its content since it was last approved (author
or editor, through the page, the API or a picture, also after a return to draft) approves it.
And a posting's time lies between its bulletin's publication and now; more than a day back it
needs a reason, kept on the posting and in the audit log."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from bulletins.models import Bulletin, Posting, Status
from bulletins.services import Content, bulletin_approve, bulletin_create, bulletin_submit
from bulletins.tests.factories import PNG, published
from conftest import logged_in, logged_in_api, make_user
from groups.models import Commune

pytestmark = pytest.mark.django_db

BULLETINS, POSTINGS = "/api/v1/bulletins/", "/api/v1/postings/"


@pytest.fixture
def third(commune: Commune) -> User:
    """A third commune police officer, who neither wrote nor changed the bulletin."""
    return make_user("third", Role.COMMUNE_POLICE, commune)


def draft(author: User) -> Bulletin:
    return bulletin_create(
        actor=author,
        content=Content(title="Phòng cháy mùa khô", theme="fire_safety", body="<p>Kiểm tra</p>"),
    )


def approve_page(user: User, bulletin: Bulletin):
    return logged_in(user).post(
        reverse("bulletins:bulletin-transition", args=[bulletin.pk]),
        {"to_status": "approved", "security_check": "on"},
    )


def approve_api(user: User, bulletin: Bulletin):
    return logged_in_api(user).post(
        f"{BULLETINS}{bulletin.pk}/transition/",
        {"to_status": "approved", "security_check": True},
        format="json",
    )


def status(bulletin: Bulletin) -> str:
    return Bulletin.objects.get(pk=bulletin.pk).status


def test_an_editor_who_patched_through_the_api_cannot_approve(
    police: User, approver: User, third: User, groups
) -> None:
    bulletin = draft(police)
    patch = logged_in_api(approver).patch(
        f"{BULLETINS}{bulletin.pk}/", {"body": "<p>Người báo tin: Nguyễn Văn A</p>"}, format="json"
    )
    assert patch.status_code == 200, patch.data
    assert (
        logged_in_api(approver)
        .post(f"{BULLETINS}{bulletin.pk}/transition/", {"to_status": "submitted"}, format="json")
        .status_code
        == 200
    )
    refused = approve_api(approver, bulletin)
    assert refused.status_code == 400
    assert status(bulletin) == Status.SUBMITTED
    assert set(Bulletin.objects.get(pk=bulletin.pk).editors.all()) == {police, approver}
    assert approve_page(approver, bulletin).status_code == 302  # the page refuses it as well
    assert status(bulletin) == Status.SUBMITTED
    assert approve_api(third, bulletin).status_code == 200
    bulletin.refresh_from_db()
    assert (bulletin.status, bulletin.approved_by) == (Status.APPROVED, third)
    assert not bulletin.editors.exists()  # approved: a new list starts


def test_an_editor_on_the_page_cannot_approve_after_a_return_to_draft(
    police: User, approver: User, third: User, groups
) -> None:
    bulletin = draft(police)
    bulletin_submit(actor=police, bulletin=bulletin)
    bulletin_approve(actor=approver, bulletin=bulletin, security_check=True)
    reject = logged_in(third).post(
        reverse("bulletins:bulletin-transition", args=[bulletin.pk]),
        {"to_status": "draft", "comment": "Thêm số điện thoại trực ban."},
    )
    assert reject.status_code == 302 and status(bulletin) == Status.DRAFT
    edit = logged_in(approver).post(
        reverse("bulletins:bulletin-edit", args=[bulletin.pk]),
        {"title": "Phòng cháy mùa khô", "theme": "fire_safety", "body": "<p>Đổi nội dung</p>",
         "zalo_text": "", "target_mode": "all"},
    )  # fmt: skip
    assert edit.status_code == 302
    assert Bulletin.objects.get(pk=bulletin.pk).body == "<p>Đổi nội dung</p>"
    bulletin_submit(actor=police, bulletin=bulletin)
    # Approved once before, but changed since: the approver's earlier approval does not count.
    assert approve_page(approver, bulletin).status_code == 302
    assert status(bulletin) == Status.SUBMITTED
    assert approve_api(approver, bulletin).status_code == 400
    assert approve_api(third, bulletin).status_code == 200


def test_adding_a_picture_is_a_change(police: User, approver: User, third: User, groups) -> None:
    bulletin = draft(police)
    upload = logged_in(approver).post(
        reverse("bulletins:image-upload", args=[bulletin.pk]),
        {"image": SimpleUploadedFile("a.png", PNG, "image/png")},
    )
    assert upload.status_code in (200, 302) and bulletin.images.count() == 1
    bulletin_submit(actor=police, bulletin=bulletin)
    assert approve_api(approver, bulletin).status_code == 400
    assert approve_api(third, bulletin).status_code == 200


def test_someone_who_only_read_it_approves(police: User, approver: User, groups) -> None:
    bulletin = draft(police)
    bulletin_submit(actor=police, bulletin=bulletin)
    assert approve_page(approver, bulletin).status_code == 302
    assert status(bulletin) == Status.APPROVED


# --- the posting's time ---------------------------------------------------------------------


@pytest.fixture
def posting(police: User, hamlet_a, hamlet_b, groups, group_a) -> Posting:
    published(police, hamlet_a, hamlet_b)
    posting = Posting.objects.get(group=group_a)
    # Published three days ago, so that a time two days back is after publication.
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    Bulletin.objects.filter(pk=posting.bulletin_id).update(published_at=three_days_ago)
    Posting.objects.filter(pk=posting.pk).update(created_at=three_days_ago)
    posting.refresh_from_db()
    return posting


def mark(user: User, posting: Posting, **data: str):
    return logged_in_api(user).post(f"{POSTINGS}{posting.pk}/mark-posted/", data, format="json")


def test_a_posting_cannot_be_dated_before_its_bulletin(officer_a: User, posting: Posting) -> None:
    response = mark(officer_a, posting, posted_at="2001-01-01T08:00:00+07:00", backdate_reason="x")
    assert response.status_code == 400 and "posted_at" in response.data
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING


def test_a_posting_in_the_future_is_refused(officer_a: User, posting: Posting) -> None:
    later = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    assert mark(officer_a, posting, posted_at=later).status_code == 400
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING


def test_a_time_more_than_a_day_back_needs_a_reason(officer_a: User, posting: Posting) -> None:
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    refused = mark(officer_a, posting, posted_at=two_days_ago.isoformat())
    assert refused.status_code == 400 and "backdate_reason" in refused.data
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING
    reason = "Mất sóng ở ấp, đăng trong nhóm hôm trước, ghi nhận hôm nay."
    ok = mark(officer_a, posting, posted_at=two_days_ago.isoformat(), backdate_reason=reason)
    assert ok.status_code == 200, ok.data
    posting.refresh_from_db()
    assert (posting.status, posting.posted_at) == (Posting.Status.POSTED, two_days_ago)
    assert posting.backdate_reason == reason
    entry = LogEntry.objects.get_for_object(posting).get()
    assert entry.actor == officer_a and reason in str(entry.changes)


def test_a_recent_time_needs_no_reason(officer_a: User, posting: Posting) -> None:
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    assert mark(officer_a, posting, posted_at=an_hour_ago.isoformat()).status_code == 200
    posting.refresh_from_db()
    assert posting.posted_at == an_hour_ago and posting.backdate_reason == ""
    assert not LogEntry.objects.get_for_object(posting).exists()


def test_the_checklist_page_records_now(officer_a: User, posting: Posting) -> None:
    """The page has no time field: what it records is the moment of the tap."""
    before = timezone.now()
    logged_in(officer_a).post(
        reverse("bulletins:posting-posted", args=[posting.pk]), {"posted_at": "2001-01-01 08:00"}
    )
    posting.refresh_from_db()
    assert posting.status == Posting.Status.POSTED and posting.posted_at >= before

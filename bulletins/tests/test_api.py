"""The bulletins and postings API: scope, permissions, the same services and sanitising as the
editor, the workflow, the officer's checklist and mark-posted, filters and query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from bulletins.models import Bulletin, Posting, Status
from bulletins.tests.factories import BulletinFactory, published, reach
from groups.models import Hamlet

pytestmark = pytest.mark.django_db

BULLETINS, POSTINGS = "/api/v1/bulletins/", "/api/v1/postings/"


def as_user(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_create_sanitises_like_the_editor(police: User, groups) -> None:
    response = as_user(police).post(
        BULLETINS,
        {
            "title": "Cảnh giác",
            "theme": "crime_tricks",
            "body": '<p>OTP là bí mật <a href="javascript:alert(1)">bấm</a></p><iframe></iframe>',
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    bulletin = Bulletin.objects.get()
    assert "javascript" not in bulletin.body and "iframe" not in bulletin.body
    assert response.data["status"] == "draft" and response.data["zalo_text"] == "OTP là bí mật bấm"


def test_the_workflow_through_the_api(police: User, approver: User, groups) -> None:
    values = {"title": "An toàn giao thông", "theme": "traffic_safety", "body": "<p>Đội mũ</p>"}
    created = as_user(police).post(BULLETINS, values, format="json").data
    transition = f"{BULLETINS}{created['id']}/transition/"
    assert as_user(police).post(transition, {"to_status": "submitted"}).status_code == 200
    own = as_user(police).post(transition, {"to_status": "approved", "security_check": True})
    assert own.status_code == 400  # the author cannot approve
    unchecked = as_user(approver).post(transition, {"to_status": "approved"})
    assert unchecked.status_code == 400 and "security_check" in unchecked.data
    ok = as_user(approver).post(transition, {"to_status": "approved", "security_check": True})
    assert ok.status_code == 200 and ok.data["approved_by"] == approver.pk
    done = as_user(approver).post(transition, {"to_status": "published"})
    assert done.status_code == 200 and done.data["status"] == "published"
    assert done.data["progress"] == {
        "total": 3,
        "on_time": 0,
        "late": 0,
        "pending": 3,
        "skipped": 0,
    }


def test_patch_changes_a_draft_only(police: User, groups) -> None:
    draft = reach(BulletinFactory(author=police), *Hamlet.objects.all())
    response = as_user(police).patch(
        f"{BULLETINS}{draft.pk}/", {"body": "<p>Mới <b>đậm</b></p>"}, format="json"
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.body == "<p>Mới <b>đậm</b></p>" and draft.zalo_text == "Mới đậm"
    Bulletin.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)
    refused = as_user(police).patch(f"{BULLETINS}{draft.pk}/", {"title": "x"}, format="json")
    assert refused.status_code == 400


def test_lists_are_scoped_and_filtered(
    police: User, officer_a: User, head_b: User, outsider: User, hamlet_a, hamlet_b, groups
) -> None:
    in_a = published(police, hamlet_a, theme="fire_safety")
    in_b = published(police, hamlet_b)
    draft = reach(BulletinFactory(author=police), hamlet_b)

    def ids(user: User, query: str = "") -> set[int]:
        return {row["id"] for row in as_user(user).get(BULLETINS + query).data["results"]}

    assert ids(police) == {in_a.pk, in_b.pk, draft.pk}
    assert ids(officer_a) == {in_a.pk}
    assert ids(head_b) == {in_b.pk}  # released ones only
    assert ids(outsider) == set()
    assert ids(police, "?theme=fire_safety") == {in_a.pk}
    assert ids(police, "?status=draft") == {draft.pk}
    today = timezone.localdate().isoformat()
    assert ids(police, f"?published_after={today}") == {in_a.pk, in_b.pk}
    assert as_user(officer_a).get(f"{BULLETINS}{in_b.pk}/").status_code == 404
    assert as_user(None).get(BULLETINS).status_code in (401, 403)


def test_the_checklist_through_the_api(
    police: User, officer_a: User, hamlet_a, hamlet_b, groups, group_a
) -> None:
    published(police, hamlet_a, hamlet_b)
    rows = as_user(officer_a).get(POSTINGS + "?mine=true&status=pending").data["results"]
    assert {row["group_name"] for row in rows} == {"Nhóm A1", "Nhóm A2"}
    posting = Posting.objects.get(group=group_a)
    mark = f"{POSTINGS}{posting.pk}/mark-posted/"
    assert as_user(officer_a).post(mark, {}).status_code == 400  # posted_at is required
    now = timezone.now().isoformat()
    assert as_user(police).post(mark, {"posted_at": now}).status_code == 403  # not its officer
    response = as_user(officer_a).post(mark, {"posted_at": now})
    assert response.status_code == 200 and response.data["status"] == "posted"
    assert as_user(officer_a).post(mark, {"posted_at": now}).status_code == 400  # once
    other = Posting.objects.get(group__code="b1")
    assert (
        as_user(officer_a)
        .post(f"{POSTINGS}{other.pk}/mark-posted/", {"posted_at": now})
        .status_code
        == 404
    )
    skip = f"{POSTINGS}{Posting.objects.get(group__code='a2').pk}/skip/"
    assert as_user(officer_a).post(skip, {"reason": ""}).status_code == 400
    assert as_user(officer_a).post(skip, {"reason": "Nhóm tạm dừng"}).status_code == 200


def test_readers_cannot_write(head_b: User, leader: User, police: User, hamlet_b, groups) -> None:
    bulletin = published(police, hamlet_b)
    posting = Posting.objects.get(bulletin=bulletin)
    for user in (head_b, leader):
        client = as_user(user)
        assert client.post(BULLETINS, {}).status_code == 403
        assert client.post(f"{BULLETINS}{bulletin.pk}/transition/", {}).status_code == 403
        assert client.post(f"{POSTINGS}{posting.pk}/mark-posted/", {}).status_code == 403
    assert as_user(head_b).get(POSTINGS).status_code == 403  # no view_posting


def test_api_query_counts_are_flat(
    police: User, officer_a: User, hamlet_a, group_a, django_assert_max_num_queries
) -> None:
    client = as_user(police)
    counts = []
    client.get(BULLETINS)  # steady state: the user's access is cached after a first request
    for size in (1, 10):
        for _ in range(size):
            published(police, hamlet_a)
        with django_assert_max_num_queries(20) as queries:
            client.get(BULLETINS)
            client.get(POSTINGS)
        counts.append(len(queries))
    assert counts[0] == counts[1]

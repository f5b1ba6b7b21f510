"""The pages kept drawn (binhyen.page_cache) stay true: whatever a user does, whoever writes and
through whichever door, the next request shows it; a deadline that passes shows without a
write; nobody is served another person's page, and the forms of a kept page still post."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from binhyen import page_cache
from reports.models import IncidentReport, Status
from reports.services import REPORTS_TOPIC, report_assign, report_transition
from reports.tests.factories import file_report

pytestmark = pytest.mark.django_db

QUEUE = reverse("reports:report-list")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kept(client: Client, url: str) -> str:
    """The page once drawn, then asked again: the second answer must come from what was kept
    (fewer queries than drawing it), and is returned."""
    with CaptureQueriesContext(connection) as drawing:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as again:
        response = client.get(url)
    assert response.status_code == 200
    assert len(again) < len(drawing), "the second request drew the page again"
    return response.content.decode()


def rows(html: str) -> list[str]:
    return re.findall(r'data-report="(\d+)"', html)


def test_a_report_filed_appears_in_the_queue_on_the_next_request(police, head_b, hamlet_b):
    client = signed_in(police)
    first = file_report(head_b, hamlet_b, title="Trộm chó ban đêm")
    assert rows(kept(client, QUEUE)) == [str(first.pk)]
    second = file_report(head_b, hamlet_b, title="Đánh nhau ở quán")
    html = client.get(QUEUE).content.decode()
    assert sorted(rows(html)) == sorted([str(first.pk), str(second.pk)])
    assert "Đánh nhau ở quán" in html


def test_what_the_user_did_shows_on_the_next_request(police, officer_a, head_b, hamlet_a):
    report = file_report(police, hamlet_a, title="Cãi nhau tranh chấp đất")
    client = signed_in(police)
    kept(client, QUEUE)
    report_assign(actor=police, reports=[report], assignee=officer_a)
    assert str(officer_a) in client.get(QUEUE).content.decode()  # drawn again, and kept
    report_transition(actor=police, report=report, to_status=Status.VERIFYING)
    assert 'data-status="verifying"' in client.get(QUEUE).content.decode()


def test_a_write_around_the_signals_is_seen_once_touched(police, head_b, hamlet_b):
    """A bulk update bypasses the models' signals: the service that makes it touches the topic
    (the reason every such write calls page_cache.touch)."""
    report = file_report(head_b, hamlet_b, title="Ban đầu")
    client = signed_in(police)
    kept(client, QUEUE)
    IncidentReport.objects.filter(pk=report.pk).update(title="Đã sửa")
    assert "Ban đầu" in client.get(QUEUE).content.decode()  # what the cache is for
    page_cache.touch(REPORTS_TOPIC)
    assert "Đã sửa" in client.get(QUEUE).content.decode()


def test_a_deadline_that_passes_turns_the_row_overdue_without_a_write(
    police, head_b, hamlet_b, monkeypatch
):
    report = file_report(head_b, hamlet_b, title="Sắp quá hạn")
    due = timezone.now() + datetime.timedelta(hours=2)
    IncidentReport.objects.filter(pk=report.pk).update(due_at=due)
    page_cache.touch(REPORTS_TOPIC)
    client = signed_in(police)
    assert 'data-overdue="1"' not in kept(client, QUEUE)
    later = due + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert 'data-overdue="1"' in client.get(QUEUE).content.decode()


def test_a_renamed_officer_shows_on_the_next_request(police, officer_a, head_b, hamlet_a):
    report_assign(actor=police, reports=[file_report(police, hamlet_a)], assignee=officer_a)
    client = signed_in(police)
    kept(client, QUEUE)
    officer_a.full_name = "Trần Thị Mới Đổi Tên"
    officer_a.save()
    assert "Trần Thị Mới Đổi Tên" in client.get(QUEUE).content.decode()


def test_each_person_has_their_own_page(police, officer_a, head_b, hamlet_a, hamlet_b, commune):
    """officer_a sees hamlet A only: the police's page, kept, is never served to them."""
    in_b = file_report(head_b, hamlet_b, title="Chỉ ấp B")
    in_a = file_report(police, hamlet_a, title="Chỉ ấp A")
    assert sorted(rows(kept(signed_in(police), QUEUE))) == sorted([str(in_a.pk), str(in_b.pk)])
    assert rows(kept(signed_in(officer_a), QUEUE)) == [str(in_a.pk)]


def test_a_permission_revoked_takes_effect_on_the_next_request(police, head_b, hamlet_b):
    file_report(head_b, hamlet_b)
    client = signed_in(police)
    kept(client, QUEUE)
    police.groups.clear()
    assert client.get(QUEUE).status_code == 403


def test_the_kept_pages_forms_still_post(police, officer_a, head_b, hamlet_a):
    """The queue's bulk-assign form carries a CSRF token; a kept page's token must still be
    accepted, and another browser (another CSRF cookie) gets a page of its own."""
    report = file_report(police, hamlet_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(police)
    html = kept(client, QUEUE)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    answer = client.post(
        reverse("reports:queue-assign"),
        {"csrfmiddlewaretoken": token, "reports": [report.pk], "assignee": officer_a.pk},
    )
    assert answer.status_code in (200, 302)
    other = Client(enforce_csrf_checks=True)
    other.force_login(police)
    other.get(QUEUE)
    other_html = other.get(QUEUE).content.decode()
    other_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', other_html).group(1)
    assert other_token != token


def test_nothing_is_kept_without_a_csrf_cookie_or_for_a_post(police, head_b, hamlet_b, rf):
    """The first visit (no cookie yet) draws and keeps nothing: the token it draws belongs to
    the cookie it is about to set."""
    drawn = []

    def draw():
        drawn.append(1)
        return "x", None

    request = rf.get(QUEUE)
    request.user = police
    page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw)
    page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw)
    assert len(drawn) == 2
    request.COOKIES["csrftoken"] = "a" * 32
    page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw)
    page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw)
    assert len(drawn) == 3
    page_cache.touch(REPORTS_TOPIC)
    page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw)
    assert len(drawn) == 4
    posted = rf.post(QUEUE)  # a POST is always drawn, and keeps nothing
    posted.user, posted.COOKIES["csrftoken"] = police, "a" * 32
    assert page_cache.cached_part(posted, "t", [REPORTS_TOPIC], lambda: ("posted", None)) == (
        "posted"
    )
    assert page_cache.cached_part(posted, "t", [REPORTS_TOPIC], lambda: ("again", None)) == "again"
    assert page_cache.cached_part(request, "t", [REPORTS_TOPIC], draw) == "x"  # the GET's, kept
    assert len(drawn) == 4


# --- the roster ---------------------------------------------------------------------------------

ROSTER = reverse("groups:member-list")


def test_the_roster_shows_a_member_saved_through_any_door_on_the_next_request(police, hamlet_a):
    from groups.models import Member
    from groups.services import member_import_save
    from groups.tests.factories import MemberFactory, ZaloGroupFactory

    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory(group=group, full_name="Lê Văn Có Sẵn")
    client = signed_in(police)
    assert "Lê Văn Có Sẵn" in kept(client, ROSTER)
    # An import writes in bulk (COPY), with no model signal: its service touches the topic.
    new = Member(group=group, full_name="Phạm Thị Nhập Mới", phone="+84915550777")
    member_import_save(actor=police, plan=[(None, new)], source="test.csv")
    assert "Phạm Thị Nhập Mới" in client.get(ROSTER).content.decode()
    group.name = "Nhóm Zalo Đổi Tên"  # a group renamed in the admin: its rows show the name
    group.save()
    assert "Nhóm Zalo Đổi Tên" in client.get(ROSTER).content.decode()

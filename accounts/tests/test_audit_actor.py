"""Who made an audited change, through every door: a session page, the API with a real token
(the audit middleware runs before DRF reads the token), the admin, a management command (and
its --as user) and a Celery task; and the audit page names them in Vietnamese."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.audit import actor_label
from groups.importing import COLUMNS
from groups.models import Member
from groups.tests.factories import ZaloGroupFactory
from reports.models import IncidentReport
from reviews.models import AnnualReview
from reviews.tasks import prepare_yearly_reviews

pytestmark = pytest.mark.django_db


def new_member(group) -> dict:
    return {
        "full_name": "Người Mới",
        "phone": "0915 550 999",
        "role": Member.Role.HOUSEHOLD,
        "group": group.pk,
        "joined_on": "2026-03-01",
    }


def entry_for(instance) -> LogEntry:
    return LogEntry.objects.get_for_object(instance).latest("timestamp")


def test_a_page_post_is_the_session_users(client, head_b, hamlet_b) -> None:
    client.force_login(head_b)
    response = client.post(
        "/reports/new/",
        {"hamlet": hamlet_b.pk, "category": "crime", "urgency": "normal", "title": "Mất gà",
         "description": "Đêm qua mất 5 con gà.", "occurred_at": "2026-01-15T21:30",
         "location": "Cuối ấp"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = entry_for(IncidentReport.objects.get())
    assert entry.actor == head_b and actor_label(entry) == str(head_b)


def test_an_api_write_with_a_token_is_the_tokens_user(officer_a, hamlet_a) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_a)
    token = Token.objects.create(user=officer_a)
    response = Client().post(
        "/api/v1/members/",
        new_member(group),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201, response.content
    entry = entry_for(Member.objects.get(full_name="Người Mới"))
    assert entry.actor == officer_a and entry.action == LogEntry.Action.CREATE


def test_the_token_user_does_not_outlive_the_request(officer_a, hamlet_a) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_a)
    token = Token.objects.create(user=officer_a)
    Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    member = Member.objects.create(group=group, full_name="Sau Đó", phone="+84915550998")
    assert entry_for(member).actor is None


def test_an_admin_write_is_the_admin_users(client, officer_a, hamlet_a) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_a)
    client.force_login(officer_a)
    data = {**new_member(group), "joined_on": "2026-03-01"}
    response = client.post("/admin/groups/member/add/", data)
    assert response.status_code == 302
    entry = entry_for(Member.objects.get(full_name="Người Mới"))
    assert entry.actor == officer_a


def test_a_task_names_itself(client, police, commune) -> None:
    prepare_yearly_reviews()  # Task.__call__, as a worker or an eager run calls it
    review = AnnualReview.objects.get(commune=commune)
    entry = entry_for(review)
    assert entry.actor is None
    assert entry.additional_data == {
        "origin": {"kind": "task", "name": "reviews.prepare_yearly_reviews"}
    }
    assert actor_label(entry) == "tác vụ reviews.prepare_yearly_reviews"
    # A write after the task is not the task's.
    later = ZaloGroupFactory(hamlet=review.commune.hamlets.first())
    assert entry_for(later).additional_data is None


def roster_file(hamlet, folder) -> Path:
    """A one-row roster CSV for a new Zalo group of `hamlet` (the member "Người Nhập")."""
    ZaloGroupFactory(hamlet=hamlet, code="nhom-a")
    path = folder / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS.values())
        writer.writerow(["nhom-a", "Người Nhập", "0915550997", "", "", "", "", "01/03/2026"])
    return path


def test_a_command_names_itself_and_its_as_user(police, officer_a, hamlet_a, tmp_path) -> None:
    path = roster_file(hamlet_a, tmp_path)
    call_command("import_members", str(path), "--commit", "--as", officer_a.username,
                 stdout=io.StringIO())  # fmt: skip
    entry = entry_for(Member.objects.get(full_name="Người Nhập"))
    assert entry.actor == officer_a
    assert entry.additional_data["origin"] == {"kind": "command", "name": "import_members"}
    assert actor_label(entry) == f"{officer_a} (lệnh import_members)"


def test_the_audit_page_shows_who(client, police, commune) -> None:
    prepare_yearly_reviews()
    client.force_login(police)
    html = client.get("/audit/").content.decode()
    assert "tác vụ reviews.prepare_yearly_reviews" in html


def test_a_task_run_inside_a_request_gives_the_request_back_its_actor(police, commune) -> None:
    with set_actor(police):  # what AuditlogMiddleware opens for a request
        prepare_yearly_reviews()  # an eager run
        group = ZaloGroupFactory(hamlet=commune.hamlets.first())
    entry = entry_for(group)
    assert entry.actor == police and entry.additional_data is None


def test_the_admin_log_and_a_members_history_show_who(
    client, police, officer_a, hamlet_a, tmp_path
) -> None:
    path = roster_file(hamlet_a, tmp_path)
    call_command("import_members", str(path), "--commit", stdout=io.StringIO())
    member = Member.objects.get(full_name="Người Nhập")
    client.force_login(police)
    assert "lệnh import_members" in client.get(f"/members/{member.pk}/").content.decode()
    assert "lệnh import_members" in client.get("/admin/auditlog/logentry/").content.decode()

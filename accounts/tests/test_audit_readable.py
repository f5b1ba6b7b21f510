"""The audit log reads as an official reads it (#19 item 9): Vietnamese actions, fields by their
labels, related rows by their names, Có/Không, choices by their labels, every time in the
portal's time zone (d/m/Y H:i), no reverse or internal fields; the same in the CSV and Excel
exports, a member's history and the admin's history; a page's queries do not grow with its rows.
"""

import csv
import datetime
import io
import zoneinfo

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.models import IncidentReport, Status
from reports.tests.factories import IncidentReportFactory

pytestmark = pytest.mark.django_db
URL = "/audit/"
LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def changed_report(hamlet_a, hamlet_b) -> IncidentReport:
    """A report created, then moved to hamlet B, marked a valuable tip, its status and its
    deadline (17:34 in Vietnam, 10:34 UTC) changed."""
    report = IncidentReportFactory(hamlet=hamlet_a, title="Trộm gà ở xóm trên")
    report.hamlet = hamlet_b
    report.valuable_tip = True
    report.status = Status.HANDLING
    report.due_at = datetime.datetime(2026, 12, 1, 17, 34, tzinfo=LOCAL)
    report.save()
    return report


def _changes_text(html: str) -> str:
    return html.split('data-testid="audit-table"', 1)[1]


def test_the_page_reads_like_a_record_not_a_dump(client, police, changed_report) -> None:
    created, updated = LogEntry.objects.get_for_object(changed_report).order_by("pk")
    # What auditlog keeps, and the page used to show as it is:
    assert "informant_reveals" in created.changes_dict  # a reverse relation, "….None"
    assert updated.changes_dict["due_at"][1].startswith("2026-12-01 10:34")  # UTC
    assert updated.changes_dict["valuable_tip"] == ["False", "True"]
    client.force_login(police)
    table = _changes_text(client.get(URL, {"model": "reports.incidentreport"}).content.decode())
    for raw in ("create", "update", "InformantReveal", ".None", "informant_reveals", "True"):
        assert raw not in table
    assert "Tạo mới" in table and "Sửa" in table
    assert "10:34" not in table and "01/12/2026 17:34" in table  # the deadline, local time
    assert "Ấp Thuận Hòa → Ấp Thuận Phú 1" in table  # the hamlets by their names
    assert "Không → Có" in table  # the valuable tip
    assert "Đang xử lý" in table  # the status by its label
    assert "Hạn xử lý" in table  # due_at by its label
    assert ">ID<" not in table and "ID:" not in table  # the primary key is no change


def test_the_exports_read_the_same(client, police, changed_report) -> None:
    client.force_login(police)
    query = {"model": "reports.incidentreport"}
    response = client.get(URL, {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    text = "\n".join(",".join(row) for row in rows[1:])
    assert "Tạo mới" in text and "01/12/2026 17:34" in text and "Không → Có" in text
    assert "InformantReveal" not in text and "10:34" not in text and ",update," not in text
    response = client.get(URL, {**query, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row)
    assert "Ấp Thuận Hòa → Ấp Thuận Phú 1" in cells and "InformantReveal" not in cells


def test_a_members_history_reads_the_same(client, police, hamlet_a, hamlet_b) -> None:
    member = MemberFactory(group=ZaloGroupFactory(hamlet=hamlet_a, name="Nhóm Zalo Ấp A"))
    member.group = ZaloGroupFactory(hamlet=hamlet_b, name="Nhóm Zalo Ấp B")
    member.save()
    client.force_login(police)
    html = client.get(reverse("groups:member-detail", args=[member.pk])).content.decode()
    history = html.split('data-testid="member-history"', 1)[1]
    assert "Nhóm Zalo Ấp A → Nhóm Zalo Ấp B" in history
    assert "Tạo mới" in history and "create" not in history


def test_the_admins_history_reads_the_same(client, police, changed_report) -> None:
    client.force_login(police)
    url = reverse("admin:reports_incidentreport_auditlog", args=[changed_report.pk])
    html = client.get(url).content.decode()
    assert "01/12/2026 17:34" in html and "Không → Có" in html
    assert "InformantReveal" not in html and "10:34" not in html
    entry = LogEntry.objects.get_for_object(changed_report).latest("pk")
    change = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).content
    assert "01/12/2026 17:34" in change.decode()


def test_role_changes_name_the_role(client, police, head_b) -> None:
    from django.contrib.auth.models import Group

    from accounts.roles import Role

    head_b.groups.add(Group.objects.get(name=Role.AREA_OFFICER))
    client.force_login(police)
    table = _changes_text(client.get(URL, {"model": "accounts.user"}).content.decode())
    assert "+ Cảnh sát khu vực" in table and "area_officer" not in table


@pytest.mark.parametrize("size", [2, 20])
def test_the_page_reads_names_in_bulk(
    client, police, hamlet_a, size, django_assert_max_num_queries
) -> None:
    """Each entry names other rows (a member's group, a report's hamlet): the page's queries
    stay the same however many rows and related objects it shows."""
    for number in range(size):
        MemberFactory(group=ZaloGroupFactory(hamlet=hamlet_a, name=f"Nhóm {number}"))
    client.force_login(police)
    with django_assert_max_num_queries(17):
        html = client.get(URL).content.decode()
    assert f"— → Nhóm {size - 1}<" in html

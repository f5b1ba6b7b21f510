"""Member export: what the roster page (/members/) shows, in files Excel opens, that import back
unchanged."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from groups.importing import COLUMNS, export_members, member_import, read_rows
from groups.models import Member
from groups.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

ROSTER = "/members/"
EXPORT_URL = "/members/export/"


@pytest.fixture
def members(register) -> dict[str, Member]:
    group_a, group_b = register["group_a"], register["group_b"]
    return {
        "duc": MemberFactory(
            group=group_a, full_name="Nguyễn Văn Đức", phone="0915 550 001",
            people_group=register["to_1"], role=Member.Role.SECURITY_TEAM,
            joined_on=datetime.date(2025, 9, 15), consent_on=datetime.date(2025, 9, 16),
            notes="=1+1 không phải công thức", zalo_name="Đức Nguyễn",
        ),
        "duc_before": MemberFactory(
            group=group_a, full_name="Nguyễn Văn Đức", phone="0915 550 001",
            joined_on=datetime.date(2024, 1, 1), left_on=datetime.date(2025, 6, 30),
        ),
        "lan": MemberFactory(group=group_a, full_name="Trần Thị Lan", phone="0915 550 002",
                             household="-", notes="+84 là mã nước"),
        "hoa": MemberFactory(group=group_b, full_name="Nguyễn Thị Hoà", phone="0987 000 111"),
    }  # fmt: skip


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def exported_names(content: bytes) -> list[str]:
    return [r[1] for r in sheet_rows(content)[1:]]


def test_xlsx_has_the_import_columns_local_phones_and_real_dates(members):
    content, content_type, filename = export_members(
        Member.objects.filter(pk=members["duc"].pk), "xlsx"
    )
    assert content_type.startswith("application/vnd.openxmlformats")
    assert filename.startswith("thanh-vien-") and filename.endswith(".xlsx")
    header, duc = sheet_rows(content)
    assert list(header) == list(COLUMNS.values())
    assert duc[:7] == (
        "nhom-a", "Nguyễn Văn Đức", "0915 550 001", "Đức Nguyễn", "Thành viên tổ an ninh",
        members["duc"].household, "Tổ 1",
    )  # fmt: skip
    assert duc[7] == datetime.datetime(2025, 9, 15) and duc[8] is None
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["H2"].number_format == "DD/MM/YYYY"
    assert sheet["K2"].data_type == "s"  # "=1+1 …" stays text, never a formula


def test_csv_is_utf8_with_bom_and_defuses_formulas(members):
    content, content_type, filename = export_members(Member.objects.all(), "csv")
    assert content.startswith(b"\xef\xbb\xbf") and content_type == "text/csv; charset=utf-8"
    assert filename.endswith(".csv")
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(COLUMNS.values())
    assert "Nguyễn Thị Hoà" in text and "15/09/2025" in text and "0987 000 111" in text
    assert "'=1+1 không phải công thức" in text and "'+84 là mã nước" in text


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_imports_back_unchanged(police, members, fmt):
    before = list(Member.objects.order_by("pk").values())
    content, _type, filename = export_members(Member.objects.visible_to(police), fmt)
    report = member_import(actor=police, rows=read_rows(io.BytesIO(content), filename), commit=True)
    assert report.counts == {"new": 0, "updated": 0, "unchanged": 4, "choice": 0, "error": 0}
    assert list(Member.objects.order_by("pk").values()) == before


def test_export_follows_the_rosters_filters_search_and_order(client, police, members, register):
    client.force_login(police)
    by_group = client.get(EXPORT_URL, {"group": register["group_b"].pk, "format": "xlsx"})
    assert by_group.status_code == 200
    assert "attachment" in by_group["Content-Disposition"]
    assert exported_names(by_group.content) == ["Nguyễn Thị Hoà"]
    searched = client.get(EXPORT_URL, {"q": "nguyen", "active": "yes"})
    assert exported_names(searched.content) == ["Nguyễn Thị Hoà", "Nguyễn Văn Đức"]
    by_phone = client.get(EXPORT_URL, {"sort": "-phone", "role": "household"})
    assert exported_names(by_phone.content) == ["Nguyễn Thị Hoà", "Trần Thị Lan", "Nguyễn Văn Đức"]
    everything = client.get(EXPORT_URL, {"format": "csv"})
    assert everything["Content-Type"] == "text/csv; charset=utf-8"
    assert everything.content.decode("utf-8-sig").count("\r\n") == 5  # header and 4 members


def test_the_rosters_export_links_carry_its_querystring(client, police, members):
    client.force_login(police)
    html = client.get(ROSTER, {"q": "nguyen", "page": "1"}).content.decode()
    assert f'href="{EXPORT_URL}?q=nguyen&amp;format=xlsx"' in html
    assert f'href="{EXPORT_URL}?q=nguyen&amp;format=csv"' in html


def test_the_export_is_what_the_page_shows(client, police, members):
    client.force_login(police)
    query = {"q": "nguyen", "sort": "-joined"}
    page = [m.full_name for m in client.get(ROSTER, query).context["page"].object_list]
    assert exported_names(client.get(EXPORT_URL, query).content) == page


def test_area_officer_exports_only_their_hamlets(client, officer_a, members, register):
    client.force_login(officer_a)
    assert sorted(exported_names(client.get(EXPORT_URL).content)) == [
        "Nguyễn Văn Đức",
        "Nguyễn Văn Đức",
        "Trần Thị Lan",
    ]
    other_hamlet = client.get(EXPORT_URL, {"group": register["group_b"].pk})
    assert exported_names(other_hamlet.content) == []
    other_hamlet = client.get(EXPORT_URL, {"hamlet": register["group_b"].hamlet_id})
    assert exported_names(other_hamlet.content) == []


def test_export_queries_stay_flat_as_the_roster_grows(client, police, register):
    client.force_login(police)

    def queries() -> int:
        client.get(EXPORT_URL)  # steady state: the user's access is cached after a first request
        with CaptureQueriesContext(connection) as captured:
            assert client.get(EXPORT_URL).status_code == 200
        return len(captured)

    MemberFactory.create_batch(55, group=register["group_a"], people_group=register["to_1"])
    small = queries()
    MemberFactory.create_batch(60, group=register["group_b"])
    MemberFactory.create_batch(60, group=register["group_a"], people_group=register["to_1"])
    assert queries() == small


def test_export_refuses_who_may_not_see_members(client, commune, head_b, members):
    assert client.get(EXPORT_URL)["Location"].startswith("/login/")
    client.force_login(head_b)  # a hamlet head: no groups.view_member
    assert client.get(EXPORT_URL).status_code == 403
    clerk = User.objects.create_user(username="clerk", commune=commune)
    client.force_login(clerk)
    assert client.get(EXPORT_URL).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_member"))
    assert client.get(EXPORT_URL).status_code == 200
    assert client.get(EXPORT_URL, {"format": "pdf"}).status_code == 400


def test_the_admin_exports_no_more(client, police, members):
    """The export moved to the roster page, which the admin's member list links."""
    client.force_login(police)
    assert client.get("/admin/groups/member/export/").status_code in (302, 404)

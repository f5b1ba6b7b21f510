"""Member import: preview statuses, all-or-nothing commit, idempotence, scope, audit, the
command and the admin pages. Files are real XLSX and CSV; the database is the real one."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import User
from groups.importing import COLUMNS, ImportReport, member_import, read_rows
from groups.models import Member
from groups.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/groups/member/import/"
CHANGELIST = "/admin/groups/member/"
HOUSEHOLD = "Đại diện hộ gia đình"


def row(
    name: str = "Nguyễn Văn An",
    phone: str = "0915 550 001",
    group: str = "nhom-a",
    *,
    zalo: str = "",
    role: str = HOUSEHOLD,
    household: str = "",
    people: str = "",
    joined: object = "",
    left: object = "",
    consent: object = "",
    notes: str = "",
) -> list[object]:
    """One line of a file, in the order of COLUMNS."""
    return [group, name, phone, zalo, role, household, people, joined, left, consent, notes]


def run(actor, file: tuple[bytes, str], *, commit: bool = False, **kwargs) -> ImportReport:
    content, name = file
    rows = read_rows(io.BytesIO(content), name)
    return member_import(actor=actor, rows=rows, commit=commit, **kwargs)


def statuses(report: ImportReport) -> dict[int, str]:
    return {result.row: result.status.value for result in report.rows}


def reason(report: ImportReport, number: int) -> str:
    return next(r.reason for r in report.rows if r.row == number)


def snapshot() -> list[tuple]:
    fields = [f.attname for f in Member._meta.concrete_fields]
    return list(Member.objects.order_by("pk").values_list(*fields))


def member_log_entries() -> int:
    return LogEntry.objects.get_for_model(Member).count()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    """Uploads waiting for confirmation are kept under DATA_DIR: here, a throw-away folder."""
    settings.DATA_DIR = tmp_path


@pytest.fixture
def lan(register) -> Member:
    return MemberFactory(
        group=register["group_a"], full_name="Trần Thị Lan", phone="+84915550002",
        household="Số 2", role=Member.Role.HOUSEHOLD, joined_on=datetime.date(2025, 9, 15),
    )  # fmt: skip


# --- Preview ------------------------------------------------------------------------------


def test_preview_gives_each_row_a_status_and_saves_nothing(police, register, lan, spreadsheet):
    MemberFactory(
        group=register["group_a"], full_name="Lê Văn Bình", phone="+84915550003",
        household="Số 3", people_group=register["to_1"], joined_on=None,
    )  # fmt: skip
    file = spreadsheet(
        [
            row("Nguyễn Văn An", "0915 550 001"),
            row("Trần Thị Lan", "0915.550.002", household="Số 2A", joined="15/09/2025"),
            row("Lê Văn Bình", "+84915550003", household="Số 3", people="TO 1"),
            row("Lê Văn Sai", "12345"),
        ]
    )
    before = snapshot()
    report = run(police, file)
    assert statuses(report) == {2: "new", 3: "updated", 4: "unchanged", 5: "error"}
    assert report.counts == {"new": 1, "updated": 1, "unchanged": 1, "choice": 0, "error": 1}
    assert "Số điện thoại không hợp lệ: “12345”" in reason(report, 5)
    assert report.rows[1].changed == [str(Member._meta.get_field("household").verbose_name)]
    assert not report.saved and snapshot() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(name=""), "The full name is missing."),
        (row(group="khong-co"), "Unknown group “khong-co”."),
        (row(group=""), "The group code is missing."),
        (row(people="Tổ 99"), "Unknown people's group “Tổ 99”"),
        (row(role="Thủ quỹ"), "Unknown role “Thủ quỹ”."),
        (row(joined="31/02/2025"), "“31/02/2025” in the column “Ngày tham gia” is not a date"),
        (row(joined="15/09/2025", left="01/09/2025"), "leaving date is before the joining date"),
        (row(name="A" * 201), "at most 200 characters"),
    ],
)
def test_each_kind_of_error_names_its_row_and_reason(police, register, spreadsheet, bad, message):
    bad[2] = "0915 550 009"  # a valid phone of its own: only the tested fault remains
    report = run(police, spreadsheet([row(), bad]))
    assert statuses(report) == {2: "new", 3: "error"}
    with translation.override("en"):
        report = run(police, spreadsheet([row(), bad]))
    assert message in reason(report, 3)


def test_a_phone_twice_in_one_group_is_an_error_on_the_later_row(police, register, spreadsheet):
    file = spreadsheet(
        [
            row("Nguyễn Văn An", "0915 550 001"),
            row("Phạm Thị Hai", "0915 550 002"),
            row("Nguyễn Văn An", "+84 915 550 001"),
            row("Nguyễn Văn An", "0915 550 001", group="nhom-b"),  # another group: fine
        ]
    )
    with translation.override("en"):
        report = run(police, file)
    assert statuses(report) == {2: "new", 3: "new", 4: "error", 5: "new"}
    assert "row 2" in reason(report, 4)


def test_preview_loads_the_register_in_a_constant_number_of_queries(police, register, spreadsheet):
    def queries(count: int) -> int:
        MemberFactory.create_batch(count, group=register["group_a"], people_group=register["to_1"])
        file = spreadsheet(
            [row(f"Người {n}", f"0915 55{n:04d}", people="Tổ 1") for n in range(count)]
        )
        with CaptureQueriesContext(connection) as captured:
            run(police, file)
        return len(captured)

    queries(1)  # the actor's permissions are loaded once, then cached on the user
    assert queries(3) == queries(40)


# --- Commit -------------------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_saved(police, register, lan, spreadsheet):
    file = spreadsheet(
        [row("Nguyễn Văn An"), row("Trần Thị Lan", "0915 550 002", household="Mới"), row("X", "1")]
    )
    before, entries = snapshot(), member_log_entries()
    report = run(police, file, commit=True)
    assert report.has_errors and not report.saved
    assert snapshot() == before and member_log_entries() == entries


def test_commit_saves_normalised_members_and_audits_each(police, register, lan, spreadsheet):
    file = spreadsheet(
        [
            row("Nguyễn Văn Đức", "0915 550 001", people="tổ 1", joined=datetime.date(2025, 10, 1)),
            row("Trần Thị Lan", "0915 550 002", household="Số 2A", joined="15/09/2025"),
        ]
    )
    report = run(police, file, commit=True, source="thanh-vien.xlsx")
    assert report.saved and statuses(report) == {2: "new", 3: "updated"}
    duc = Member.objects.get(phone="+84915550001")
    assert (duc.name_key, duc.people_group, duc.role) == (
        "nguyen van duc",
        register["to_1"],
        Member.Role.HOUSEHOLD,
    )
    assert duc.joined_on == datetime.date(2025, 10, 1) and duc.created_at is not None
    created = LogEntry.objects.get_for_object(duc).get()
    assert created.action == LogEntry.Action.CREATE and created.actor == police
    assert created.changes["full_name"] == ["None", "Nguyễn Văn Đức"]
    assert created.additional_data == {"import": "thanh-vien.xlsx"}
    updated = LogEntry.objects.get_for_object(lan).get(action=LogEntry.Action.UPDATE)
    assert updated.action == LogEntry.Action.UPDATE and updated.actor == police
    assert updated.changes == {"household": ["Số 2", "Số 2A"]}
    lan.refresh_from_db()
    assert lan.household_key == "so 2a"


def test_importing_the_same_file_again_changes_nothing(police, register, spreadsheet):
    rows = [
        row("Nguyễn Văn An", "0915 550 001", people="Tổ 1", joined="01/10/2025", notes="Ghi"),
        row("Nguyễn Văn An", "0915 550 001", joined="01/01/2025", left="30/06/2025"),
        row("Võ Thị Bé", "0987 000 111", role="security_team", consent="02/10/2025"),
    ]
    for fmt in ("xlsx", "csv"):
        file = spreadsheet(rows, fmt)
        run(police, file, commit=True)
        before, entries = snapshot(), member_log_entries()
        again = run(police, file, commit=True)
        assert set(statuses(again).values()) == {"unchanged"}
        assert snapshot() == before and member_log_entries() == entries
    assert Member.objects.count() == 3


def test_a_phone_present_in_another_format_updates_instead_of_duplicating(
    police, register, lan, spreadsheet
):
    file = spreadsheet([row("Trần Thị Lan Anh", "+84 915-550-002")])
    report = run(police, file, commit=True)
    assert statuses(report) == {2: "updated"}
    assert Member.objects.filter(group=register["group_a"]).count() == 1
    lan.refresh_from_db()
    assert lan.full_name == "Trần Thị Lan Anh" and lan.name_key == "tran thi lan anh"


def test_a_leaving_date_marks_the_active_member_as_left_and_history_is_kept(
    police, register, lan, spreadsheet
):
    leaving = row("Trần Thị Lan", "0915 550 002", household="Số 2", joined="15/09/2025",
                  left="01/02/2026")  # fmt: skip
    assert statuses(run(police, spreadsheet([leaving]), commit=True)) == {2: "updated"}
    lan.refresh_from_db()
    assert lan.left_on == datetime.date(2026, 2, 1)
    # Back in the group: a new membership; the file lists both, and both are then unchanged.
    back = row("Trần Thị Lan", "0915 550 002", household="Số 2", joined="01/03/2026")
    assert statuses(run(police, spreadsheet([leaving, back]), commit=True)) == {
        2: "unchanged",
        3: "new",
    }
    assert statuses(run(police, spreadsheet([leaving, back]))) == {2: "unchanged", 3: "unchanged"}
    assert Member.objects.filter(phone="+84915550002").count() == 2


def test_rows_without_a_group_code_use_the_chosen_group(police, register, spreadsheet):
    header = ["Họ và tên", "Số điện thoại"]
    file = spreadsheet([["Nguyễn Văn An", "0915 550 001"]], header=header)
    assert statuses(run(police, file)) == {2: "error"}
    report = run(police, file, commit=True, default_group=register["group_b"])
    assert statuses(report) == {2: "new"}
    assert Member.objects.get().group == register["group_b"]


def test_a_missing_column_keeps_the_stored_value(police, register, lan, spreadsheet):
    header = ["Mã nhóm", "Họ và tên", "Số điện thoại"]
    file = spreadsheet([["nhom-a", "Trần Thị Lan", "0915 550 002"]], header=header)
    assert statuses(run(police, file, commit=True)) == {2: "unchanged"}
    lan.refresh_from_db()
    assert lan.household == "Số 2" and lan.joined_on == datetime.date(2025, 9, 15)


# --- Scope and permissions ----------------------------------------------------------------


def test_another_hamlets_group_reads_as_unknown(officer_a, register, spreadsheet):
    file = spreadsheet([row(group="nhom-a"), row(group="nhom-b"), row(group="khong-co")])
    with translation.override("en"):
        report = run(officer_a, file, commit=True)
    assert statuses(report) == {2: "new", 3: "error", 4: "error"}
    assert reason(report, 3).replace("nhom-b", "?") == reason(report, 4).replace("khong-co", "?")
    assert not report.saved and not Member.objects.exists()
    with pytest.raises(PermissionDenied):
        run(officer_a, file, default_group=register["group_b"])


@pytest.mark.parametrize("persona", ["head_b", "party_office", "leader"])
def test_roles_without_member_permissions_cannot_import(request, register, spreadsheet, persona):
    with pytest.raises(PermissionDenied):
        run(request.getfixturevalue(persona), spreadsheet([row()]))


# --- Reading files ------------------------------------------------------------------------


def test_csv_with_bom_or_semicolons_and_headers_without_diacritics(police, register, spreadsheet):
    header = ["MA NHOM", "ho va ten", "So Dien Thoai", "Ngay tham gia"]
    values = [["nhom-a", "Nguyễn Văn Đức", "0915 550 001", "01/10/2025"]]
    for delimiter, bom in ((",", True), (";", False), (";", True), ("\t", True)):
        rows = read_rows(io.BytesIO(spreadsheet(values, "csv", header, delimiter, bom)[0]), "a.CSV")
        assert rows == [
            {"row": 2, "group": "nhom-a", "full_name": "Nguyễn Văn Đức",
             "phone": "0915 550 001", "joined_on": "01/10/2025"}
        ]  # fmt: skip


def test_xlsx_dates_numbers_and_blank_lines(police, register, spreadsheet):
    content, name = spreadsheet(
        [row(joined=datetime.datetime(2025, 10, 1)), [], row("Số", 915550002)]
    )
    report = member_import(actor=police, rows=read_rows(io.BytesIO(content), name), commit=True)
    # The blank line is skipped but counted; a phone typed as a number lost its leading 0.
    assert statuses(report) == {2: "new", 4: "error"}
    assert not Member.objects.exists()
    rows = read_rows(io.BytesIO(content), name)
    assert rows[0]["joined_on"] == datetime.date(2025, 10, 1)  # a date cell reads as a date


def test_unreadable_files_are_refused_in_vietnamese(spreadsheet):
    with pytest.raises(ValidationError, match=r"\.xlsx"):
        read_rows(io.BytesIO(b"x"), "danh-sach.pdf")
    with pytest.raises(ValidationError):
        read_rows(io.BytesIO(b"not a zip"), "danh-sach.xlsx")
    with pytest.raises(ValidationError, match="Số điện thoại"):
        read_rows(io.BytesIO(spreadsheet([["A"]], header=["Họ và tên"])[0]), "a.xlsx")


# --- The command --------------------------------------------------------------------------


@pytest.fixture
def roster_file(tmp_path, spreadsheet):
    def write(rows: list, fmt: str = "xlsx") -> str:
        content, name = spreadsheet(rows, fmt)
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write


def command(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_members", *args, stdout=out)
    return out.getvalue()


def test_command_previews_then_commits(police, register, roster_file):
    path = roster_file([row("Nguyễn Văn An"), row("Võ Thị Bé", "0987 000 111")], "csv")
    output = command(path, "--as", "police")
    assert "Row     2  New" in output and "Row     3  New" in output
    assert "New: 2, Updated: 0, Unchanged: 0, Awaiting a choice: 0, Error: 0" in output
    assert "--commit" in output and not Member.objects.exists()
    output = command(path, "--as", "police", "--commit")
    assert "Saved." in output and Member.objects.count() == 2
    assert "Unchanged: 2" in command(path, "--as", "police", "--commit")
    assert LogEntry.objects.get_for_model(Member).filter(actor=police).count() == 2


def test_command_reports_errors_and_exits_with_status_1(police, register, roster_file, capsys):
    path = roster_file([row("Nguyễn Văn An"), row("Lê Văn Sai", "12345")])
    out = io.StringIO()
    with pytest.raises(CommandError, match="Rows in error: 1"), translation.override("en"):
        call_command("import_members", path, "--as", "police", "--commit", stdout=out)
    assert "Row     3  Error" in out.getvalue() and "12345" in out.getvalue()
    assert not Member.objects.exists()
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_members", path, "--as", "police"]).execute()
    assert exit_info.value.code == 1
    assert "Số điện thoại không hợp lệ" in capsys.readouterr().out


def test_command_keeps_to_the_users_hamlets(officer_a, register, roster_file):
    path = roster_file([row(group="nhom-b")])
    with pytest.raises(CommandError):
        command(path, "--as", "officer_a", "--commit")
    with pytest.raises(CommandError, match="Unknown group “nhom-b”"):
        command(roster_file([["", "An", "0915 550 001"]]), "--as", "officer_a", "--group", "nhom-b")
    with pytest.raises(CommandError, match="No active user"):
        command(path, "--as", "nobody")
    assert not Member.objects.exists()


def test_command_without_a_user_has_full_scope_and_audits_without_actor(register, roster_file):
    path = roster_file([row(group="nhom-b"), row(group="nhom-a")])
    assert "Saved." in command(path, "--commit")
    assert Member.objects.count() == 2
    entries = LogEntry.objects.get_for_model(Member)
    assert entries.count() == 2 and not entries.filter(actor__isnull=False).exists()


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def clerk(commune) -> User:
    """Staff, but without any permission on members."""
    return User.objects.create_user(username="clerk", commune=commune, is_staff=True)


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, file: tuple[bytes, str], **data):
    content, name = file
    return client.post(IMPORT_URL, {"file": _named(content, name), **data})


def _named(content: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def rows_shown(response) -> list[tuple[int, str]]:
    return [(r.row, r.status.value) for r in response.context["shown_rows"]]


def test_admin_preview_then_confirm(client, police, register, spreadsheet):
    client.force_login(police)
    assert client.get(IMPORT_URL).status_code == 200
    file = spreadsheet([row("Nguyễn Văn An"), row("Võ Thị Bé", "0987 000 111")])
    preview = upload(client, file)
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="import-confirm"' in html
    assert 'data-row="2" data-status="new"' in html and 'data-row="3" data-status="new"' in html
    assert not Member.objects.exists()
    token = client.session["member_import"]["token"]
    stored = Path(settings.DATA_DIR) / "imports" / f"{token}.xlsx"
    assert stored.exists()
    done = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert done.status_code == 302 and done["Location"] == CHANGELIST
    assert Member.objects.count() == 2 and not stored.exists()
    assert LogEntry.objects.get_for_model(Member).filter(actor=police).count() == 2
    assert client.post(IMPORT_URL, {"confirm": "1", "token": token}).status_code == 302
    assert Member.objects.count() == 2  # a second confirmation finds no file: nothing happens


def test_admin_preview_with_errors_lists_them_first_and_offers_no_confirmation(
    client, officer_a, register, spreadsheet
):
    client.force_login(officer_a)
    english(client)
    file = spreadsheet([row(), row("B", "0915 550 002", group="nhom-b"), row("C", "99")], "csv")
    preview = upload(client, file)
    html = preview.content.decode()
    assert rows_shown(preview) == [(3, "error"), (4, "error"), (2, "new")]
    assert "Unknown group “nhom-b”" in html
    assert 'id="import-confirm"' not in html and 'name="confirm"' not in html
    assert 'data-status="error">Error: <strong>2</strong>' in html


def test_a_new_upload_removes_the_one_waiting_for_confirmation(
    client, police, register, spreadsheet
):
    client.force_login(police)
    upload(client, spreadsheet([row()]))
    token = client.session["member_import"]["token"]
    waiting = Path(settings.DATA_DIR) / "imports" / f"{token}.xlsx"
    assert waiting.exists()
    upload(client, spreadsheet([row(), row("Lê Văn Sai", "12345")]))  # has errors: not kept
    assert not waiting.exists() and "member_import" not in client.session


def test_admin_confirmation_needs_the_uploaders_token(client, police, register, spreadsheet):
    client.force_login(police)
    upload(client, spreadsheet([row()]))
    response = client.post(IMPORT_URL, {"confirm": "1", "token": "0" * 32})
    assert response.status_code == 302 and response["Location"] == IMPORT_URL
    assert not Member.objects.exists()


def test_admin_upload_of_another_kind_of_file(client, police, register):
    client.force_login(police)
    english(client)
    response = client.post(IMPORT_URL, {"file": _named(b"%PDF", "danh-sach.pdf")})
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert "member_import" not in client.session


def test_admin_import_pages_refuse_who_may_not_import(client, head_b, clerk, party_office):
    assert client.get(IMPORT_URL)["Location"].startswith("/admin/login/")
    for user in (head_b, party_office):  # not staff: Django's admin sends them to its login
        client.force_login(user)
        assert client.get(IMPORT_URL)["Location"].startswith("/admin/login/")
    client.force_login(clerk)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"confirm": "1", "token": "0" * 32}).status_code == 403
    assert client.get("/admin/groups/member/template/").status_code == 403


def test_changelist_links_to_import_only_for_who_may_import(client, police, clerk, register):
    client.force_login(police)
    assert 'id="member-import-link"' in client.get(CHANGELIST).content.decode()
    clerk.user_permissions.add(*_permissions("view_member"))
    client.force_login(clerk)
    html = client.get(CHANGELIST).content.decode()
    # Who may only read sees the way to the roster, whose export replaced the admin's.
    assert 'id="member-import-link"' not in html and 'id="member-roster-link"' in html


def _permissions(*codenames: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="groups", codename__in=codenames)


def test_template_download_is_a_workbook_with_the_headers(client, officer_a):
    client.force_login(officer_a)
    response = client.get("/admin/groups/member/template/")
    assert response.status_code == 200
    assert "mau-nhap-thanh-vien.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]] == list(COLUMNS.values())
    example = read_rows(io.BytesIO(response.content), "mau.xlsx")
    assert len(example) == 1 and example[0]["phone"] == "0912 000 000"

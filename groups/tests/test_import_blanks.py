"""An import never erases by omission (#19 item 10): a blank cell keeps the stored value, only the
mark XÓA removes one, and removals and consent date changes are saved only once confirmed.
Every rule is tried with .xlsx and CSV files."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from groups.importing import (
    CLEAR_MARK,
    COLUMNS,
    ImportReport,
    export_members,
    member_import,
    read_rows,
)
from groups.models import Member
from groups.services import member_import_save
from groups.tests.factories import MemberFactory
from groups.tests.test_import import IMPORT_URL, row, snapshot, statuses, upload

pytestmark = pytest.mark.django_db

FORMATS = ("xlsx", "csv")
STORED = {
    "zalo_name": "Lan Trần",
    "household": "Số 2",
    "joined_on": datetime.date(2025, 9, 15),
    "consent_on": datetime.date(2025, 9, 16),
    "notes": "Tổ trưởng cũ",
}
# Every optional column of the file, and what a blank cell or the mark leaves in it.
OPTIONAL = ("zalo_name", "household", "people_group", "joined_on", "consent_on", "notes")
EMPTY = {name: None if name.endswith("_on") or name == "people_group" else "" for name in OPTIONAL}


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def lan(register) -> Member:
    return MemberFactory(
        group=register["group_a"], full_name="Trần Thị Lan", phone="+84915550002",
        role=Member.Role.SECURITY_TEAM, people_group=register["to_1"], **STORED,
    )  # fmt: skip


def lan_row(**cells: object) -> list[object]:
    """Lan's row with every optional cell blank unless given."""
    return row("Trần Thị Lan", "0915 550 002", role="", **cells)


def run(actor, file, **kwargs) -> ImportReport:
    content, name = file
    return member_import(actor=actor, rows=read_rows(io.BytesIO(content), name), **kwargs)


def values(member: Member) -> dict[str, object]:
    member.refresh_from_db()
    return {name: getattr(member, name) for name in OPTIONAL} | {"role": member.role}


def kept(register) -> dict[str, object]:
    return STORED | {"people_group": register["to_1"], "role": Member.Role.SECURITY_TEAM}


# --- A blank cell keeps -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_blank_cells_keep_every_stored_value(police, register, lan, spreadsheet, fmt):
    report = run(police, spreadsheet([lan_row()], fmt), commit=True)
    assert statuses(report) == {2: "unchanged"} and not report.needs_confirmation
    assert values(lan) == kept(register)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filled_cell_still_updates_and_blanks_beside_it_keep(
    police, register, lan, spreadsheet, fmt
):
    report = run(police, spreadsheet([lan_row(notes="Mới")], fmt), commit=True)
    assert statuses(report) == {2: "updated"} and report.saved
    assert values(lan) == kept(register) | {"notes": "Mới"}


def test_a_blank_phone_or_name_is_still_an_error_not_a_keep(police, register, lan, spreadsheet):
    file = spreadsheet([row("", "0915 550 002"), row("Trần Thị Lan", "")])
    assert statuses(run(police, file, commit=False)) == {2: "error", 3: "error"}


# --- The mark clears, once confirmed -------------------------------------------------------


def all_marked(mark: str = CLEAR_MARK) -> list[object]:
    return lan_row(zalo=mark, household=mark, people=mark, joined=mark, consent=mark, notes=mark)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_mark_clears_every_optional_column_after_confirmation(
    police, register, lan, spreadsheet, fmt
):
    file = spreadsheet([all_marked()], fmt)
    preview = run(police, file, commit=False)
    [result] = preview.rows
    labels = {name: str(Member._meta.get_field(name).verbose_name) for name in OPTIONAL}
    assert dict(result.removed) == {
        labels["zalo_name"]: "Lan Trần",
        labels["household"]: "Số 2",
        labels["people_group"]: "Tổ 1",
        labels["joined_on"]: "15/09/2025",
        labels["consent_on"]: "16/09/2025",
        labels["notes"]: "Tổ trưởng cũ",
    }
    assert preview.removal_count == 6 and preview.needs_confirmation

    before, entries = snapshot(), LogEntry.objects.count()
    refused = run(police, file, commit=True)
    assert refused.unconfirmed and not refused.saved
    assert snapshot() == before and LogEntry.objects.count() == entries

    done = run(police, file, commit=True, confirmed=True)
    assert done.saved
    assert values(lan) == EMPTY | {"role": Member.Role.SECURITY_TEAM}
    change = LogEntry.objects.get_for_object(lan).get(action=LogEntry.Action.UPDATE)
    assert change.actor == police and change.changes["consent_on"] == ["2025-09-16", "None"]


@pytest.mark.parametrize("mark", ["xóa", "Xoá", "XOA", " XÓA "])
def test_the_mark_is_read_whatever_its_case_or_accent(police, register, lan, spreadsheet, mark):
    [result] = run(police, spreadsheet([lan_row(notes=mark)], "csv"), commit=False).rows
    assert result.removed == [(str(Member._meta.get_field("notes").verbose_name), "Tổ trưởng cũ")]


@pytest.mark.parametrize("column", ["full_name", "phone", "group", "role"])
def test_the_mark_cannot_clear_a_required_column(police, register, lan, spreadsheet, column):
    cells = dict(zip(COLUMNS, lan_row(), strict=True)) | {column: CLEAR_MARK}
    report = run(police, spreadsheet([list(cells.values())]), commit=True, confirmed=True)
    assert statuses(report) == {2: "error"} and not report.saved
    assert f"“{COLUMNS[column]}”" in report.rows[0].reason
    assert values(lan) == kept(register)


def test_a_new_member_removes_nothing_and_needs_no_confirmation(police, register, spreadsheet):
    report = run(police, spreadsheet([row(notes=CLEAR_MARK, consent="02/10/2025")]), commit=True)
    assert report.saved and not report.needs_confirmation
    assert Member.objects.get().consent_on == datetime.date(2025, 10, 2)


@pytest.mark.parametrize("fmt", FORMATS)
def test_exporting_a_note_that_reads_like_the_mark_and_importing_it_clears_nothing(
    police, register, lan, fmt
):
    lan.notes = "Xóa"
    lan.save()
    content, _type, name = export_members(Member.objects.all(), fmt)
    report = run(police, (content, name), commit=True)
    assert statuses(report) == {2: "unchanged"} and not report.needs_confirmation
    assert read_rows(io.BytesIO(content), name)[0]["notes"] == "Xóa"


# --- Consent dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "cell", "after"),
    [
        (None, "01/10/2025", datetime.date(2025, 10, 1)),  # set
        (datetime.date(2025, 9, 16), "01/10/2025", datetime.date(2025, 10, 1)),  # changed
        (datetime.date(2025, 9, 16), CLEAR_MARK, None),  # removed
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_consent_date_never_changes_without_confirmation(
    police, register, lan, spreadsheet, fmt, stored, cell, after
):
    Member.objects.filter(pk=lan.pk).update(consent_on=stored)
    file = spreadsheet([lan_row(consent=cell)], fmt)
    refused = run(police, file, commit=True)
    assert refused.needs_confirmation and refused.unconfirmed and not refused.saved
    lan.refresh_from_db()
    assert lan.consent_on == stored
    assert run(police, file, commit=True, confirmed=True).saved
    lan.refresh_from_db()
    assert lan.consent_on == after


def test_the_service_itself_refuses_an_unconfirmed_removal(police, register, lan):
    """Whoever calls the service (the import, a future door) cannot skip the confirmation."""
    before = Member.objects.get(pk=lan.pk)
    after = Member.objects.get(pk=lan.pk)
    after.notes = ""
    with pytest.raises(ValidationError) as refused:
        member_import_save(actor=police, plan=[(before, after)], source="")
    assert "Chưa lưu" in " ".join(refused.value.messages)
    assert values(lan) == kept(register)
    member_import_save(actor=police, plan=[(before, after)], source="", confirmed=True)
    assert values(lan)["notes"] == ""


# --- The admin's preview and confirmation ---------------------------------------------------


def test_admin_preview_shows_removals_in_red_and_requires_the_box(
    client, police, register, lan, spreadsheet
):
    client.force_login(police)
    preview = upload(client, spreadsheet([all_marked(), row("Nguyễn Văn An")]))
    html = preview.content.decode()
    assert html.count('class="import-removed"') == 6
    assert "<del>Ghi chú: Tổ trưởng cũ</del>" in html
    assert "6 giá trị đã lưu sẽ bị xóa" in html
    assert 'name="confirm_changes" value="1" id="id_confirm_changes" required' in html
    token = client.session["member_import"]["token"]

    before = snapshot()
    refused = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert refused.status_code == 200 and snapshot() == before
    assert "Chưa lưu gì" in refused.content.decode()
    assert 'id="id_confirm_changes"' in refused.content.decode()  # still offered

    done = client.post(IMPORT_URL, {"confirm": "1", "token": token, "confirm_changes": "1"})
    assert done.status_code == 302
    assert values(lan) == EMPTY | {"role": Member.Role.SECURITY_TEAM}
    assert Member.objects.count() == 2


def test_admin_preview_without_removals_asks_for_no_box(client, police, register, spreadsheet):
    client.force_login(police)
    html = upload(client, spreadsheet([row()])).content.decode()
    assert 'id="import-confirm"' in html and "confirm_changes" not in html


def test_the_mark_is_documented_on_the_page_and_in_the_template(client, police):
    client.force_login(police)
    assert "ghi XÓA vào ô" in client.get(IMPORT_URL).content.decode()
    template = client.get("/admin/groups/member/template/").content
    book = openpyxl.load_workbook(io.BytesIO(template))
    guide = " ".join(str(c.value) for r in book["Hướng dẫn"].iter_rows() for c in r if c.value)
    assert "Ô để trống giữ nguyên giá trị đã lưu" in guide and "XÓA" in guide


def test_command_saves_removals_only_with_confirm_changes(police, register, lan, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from groups.tests.conftest import _csv

    path = tmp_path / "lan.csv"
    path.write_bytes(_csv(list(COLUMNS.values()), [lan_row(notes=CLEAR_MARK)], ",", True))
    out = io.StringIO()
    with pytest.raises(CommandError, match="--confirm-changes"):
        call_command("import_members", str(path), "--as", "police", "--commit", stdout=out)
    assert "Tổ trưởng cũ" in out.getvalue() and values(lan)["notes"] == "Tổ trưởng cũ"
    call_command(
        "import_members", str(path), "--as", "police", "--commit", "--confirm-changes",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert values(lan)["notes"] == ""

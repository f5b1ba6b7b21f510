"""The admin's confirmation saves the rows its preview checked (ImportReport.checked, kept next
to the upload) without reading and checking the file again, and only while the register is what
the preview read: a member, group or people's group changed meanwhile, and nothing is saved
before the importer has seen the rows checked again."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings

from groups import admin_import, importing
from groups.importing import member_import, member_import_checked
from groups.models import Member, ZaloGroup
from groups.tests.factories import MemberFactory
from groups.tests.test_import import (
    CHANGELIST,
    IMPORT_URL,
    english,
    row,
    snapshot,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def lan(register) -> Member:
    return MemberFactory(
        group=register["group_a"], full_name="Trần Thị Lan", phone="+84915550002",
        household="Số 2", joined_on=datetime.date(2025, 9, 15),
    )  # fmt: skip


def rows() -> list[dict]:
    return [
        {"group": "nhom-a", "full_name": "Nguyễn Văn An", "phone": "0915 550 001",
         "people_group": "Tổ 1", "joined_on": datetime.date(2025, 10, 1)},
        {"group": "nhom-a", "full_name": "Trần Thị Lan", "phone": "0915 550 002",
         "household": "Số 2A", "notes": "Mới"},
    ]  # fmt: skip


def entries() -> list[tuple]:
    """The import's audit entries, without the new members' ids."""
    return sorted(
        (
            e.object_repr,
            e.action,
            sorted((name, change) for name, change in e.changes.items() if name != "id"),
            e.actor_id,
            e.additional_data,
        )
        for e in LogEntry.objects.get_for_model(Member).filter(additional_data__import="a.xlsx")
    )


def stored_members() -> list[tuple]:
    return [r[1:-2] for r in snapshot()]  # without ids and write times


def test_saving_the_checked_rows_saves_what_an_import_saves(police, register, lan):
    """One new member, one updated: the same rows and audit entries as member_import's."""
    preview = member_import(actor=police, rows=rows(), commit=False, source="a.xlsx")
    checked = importing.CheckedImport.loads(preview.checked.dumps())
    assert member_import_checked(actor=police, checked=checked)
    by_checked = stored_members(), entries()
    Member.objects.exclude(pk=lan.pk).delete()
    LogEntry.objects.filter(additional_data__import="a.xlsx").delete()
    lan.household, lan.notes = "Số 2", ""
    lan.save()
    assert member_import(actor=police, rows=rows(), commit=True, source="a.xlsx").saved
    assert (stored_members(), entries()) == by_checked
    assert len(by_checked[1]) == 2


def test_checked_rows_are_not_saved_once_the_register_changed(police, register, lan):
    preview = member_import(actor=police, rows=rows(), commit=False, source="a.xlsx")
    lan.zalo_name = "Lan mới"
    lan.save()  # someone edits the member the file updates
    before = snapshot()
    assert not member_import_checked(actor=police, checked=preview.checked)
    assert snapshot() == before and not entries()


def test_a_preview_with_errors_keeps_nothing_to_save(police, register):
    bad = [*rows(), {"group": "nhom-a", "full_name": "Sai", "phone": "12"}]
    assert member_import(actor=police, rows=bad, commit=False).checked is None


def test_the_confirmation_does_not_read_the_file_again(
    client, police, register, spreadsheet, monkeypatch
):
    client.force_login(police)
    upload(client, spreadsheet([row("Nguyễn Văn An"), row("Võ Thị Bé", "0987 000 111")]))
    token = client.session["member_import"]["token"]
    assert (Path(settings.DATA_DIR) / "imports" / f"{token}.checked").exists()
    monkeypatch.setattr(admin_import, "read_file", lambda *a, **k: pytest.fail("read again"))
    done = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert done.status_code == 302 and done["Location"] == CHANGELIST
    assert Member.objects.count() == 2
    assert LogEntry.objects.get_for_model(Member).filter(actor=police).count() == 2
    assert not any((Path(settings.DATA_DIR) / "imports").iterdir())  # upload and check gone


def test_a_register_changed_since_the_preview_refuses_the_confirmation(
    client, police, register, lan, spreadsheet
):
    client.force_login(police)
    english(client)
    file = spreadsheet([row("Trần Thị Lan", "0915 550 002", household="Số 2A"), row()])
    upload(client, file)
    token = client.session["member_import"]["token"]
    lan.household = "Số 9"  # changed by someone else after the preview
    lan.save()
    before = snapshot()
    refused = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert refused.status_code == 200 and snapshot() == before
    html = refused.content.decode()
    assert "The register changed since the preview: nothing was saved." in html
    assert 'id="import-confirm"' in html  # the rows checked again, to confirm
    assert {r.row: r.status.value for r in refused.context["report"].rows} == {
        2: "updated",
        3: "new",
    }
    done = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert done.status_code == 302
    lan.refresh_from_db()
    assert lan.household == "Số 2A" and Member.objects.count() == 2


def test_a_group_archived_since_the_preview_refuses_the_confirmation(
    client, police, register, spreadsheet
):
    client.force_login(police)
    english(client)
    upload(client, spreadsheet([row()]))
    token = client.session["member_import"]["token"]
    ZaloGroup.objects.filter(pk=register["group_a"].pk).update(status=ZaloGroup.Status.ARCHIVED)
    refused = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert refused.status_code == 200 and not Member.objects.exists()
    assert "This group is archived" in refused.content.decode()  # the row, checked again


def test_a_check_file_not_written_for_this_session_is_not_loaded(
    client, police, register, spreadsheet, monkeypatch
):
    """Its digest is in the session: another content is ignored and the file checked again."""
    client.force_login(police)
    upload(client, spreadsheet([row()]))
    token = client.session["member_import"]["token"]
    path = Path(settings.DATA_DIR) / "imports" / f"{token}.checked"
    path.write_bytes(b"not what the preview wrote")
    monkeypatch.setattr(importing.CheckedImport, "loads", lambda data: pytest.fail("loaded"))
    done = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert done.status_code == 302 and Member.objects.get().full_name == "Nguyễn Văn An"

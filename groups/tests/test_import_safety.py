"""Hostile and broken files given to the member import, through each door that reads one (the
admin page and `manage.py import_members`): each is refused with a Vietnamese message, nothing
is saved, nothing waits for confirmation, and no file reaches a 500.

The malicious workbooks are built here with zipfile: a valid workbook whose parts are replaced.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from groups import importing
from groups.importing import COLUMNS, read_rows
from groups.models import Member

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/groups/member/import/"
SHEET = "xl/worksheets/sheet1.xml"

# The Vietnamese messages (the interface's first language).
UNREADABLE = "Không đọc được tệp này như một bảng tính Excel."
TOO_LARGE = "Bảng tính giải nén ra lượng dữ liệu lớn bất thường"
MARKUP = "Bảng tính chứa khai báo XML (DTD, thực thể hoặc chú thích)"
BAD_CSV = "Không đọc được tệp CSV"
TOO_MANY = "Mỗi lần chỉ nhập được tối đa"
TOO_LONG = "Đọc tệp mất quá nhiều thời gian"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path


@functools.cache
def workbook() -> bytes:
    """A valid roster of one member of group nhom-a."""
    book = openpyxl.Workbook()
    book.active.append(list(COLUMNS.values()))
    book.active.append(["nhom-a", "Nguyễn Văn An", "0915 550 001"])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def replaced(parts: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The valid workbook with some parts replaced or added."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook())) as source,
        zipfile.ZipFile(output, "w", method) as target,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, content in parts.items():
            target.writestr(name, content)
    return output.getvalue()


def sheet_xml(prolog: str = "", cell: str = "Nguyễn Văn An") -> bytes:
    """sheet1.xml with `prolog` before the root element and `cell` as an inline string."""
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(COLUMNS.values())
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{header}</row><row r="2">'
        '<c r="A2" t="inlineStr"><is><t>nhom-a</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{cell}</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>0915550001</t></is></c>'
        "</row></sheetData></worksheet>"
    ).encode()


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10)).replace(
        "&lol1;", "&lol;"
    )
    + "]>"
)


@functools.cache
def huge_comment() -> bytes:
    """The attack of the issue: ~100 MB of whitespace in a comment of sheet1.xml, which deflates
    to a small file and which an XML parser reads in quadratic time."""
    comment = b"<!--" + b" " * (100 * 1024 * 1024) + b"-->"
    return replaced({SHEET: sheet_xml().replace(b"<worksheet", comment + b"<worksheet", 1)})


@functools.cache
def zip_bomb() -> bytes:
    """A part of 80 MB of zeros (over the size limit), ~80 KB compressed."""
    return replaced({"xl/media/image1.bin": bytes(80 * 1024 * 1024)})


def truncated() -> bytes:
    data = workbook()
    return data[: len(data) // 2]


def damaged() -> bytes:
    """The sheet's compressed bytes changed: the CRC (or deflate) check fails."""
    data = bytearray(replaced({SHEET: sheet_xml()}, method=zipfile.ZIP_STORED))
    at = bytes(data).index(b"Nguy")
    data[at : at + 4] = b"XXXX"
    return bytes(data)


def overlong_csv_cell() -> bytes:
    return f"Họ và tên,Số điện thoại\n{'A' * 200_000},0915550001\n".encode()


def too_many_csv_rows() -> bytes:
    lines = [f"Nhóm {i},09155{i:05d}" for i in range(importing.MAX_ROWS + 1)]
    return ("Họ và tên,Số điện thoại\n" + "\n".join(lines)).encode()


# (file name, content, expected message); content is built lazily, once.
HOSTILE: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "huge whitespace comment": ("a.xlsx", huge_comment, TOO_LARGE),
    "zip bomb part": ("a.xlsx", zip_bomb, TOO_LARGE),
    "extreme ratio part": (
        "a.xlsx",
        lambda: replaced({"xl/sharedStrings.xml": b" " * (3 * 1024 * 1024)}),
        TOO_LARGE,
    ),
    "small comment": (
        "a.xlsx",
        lambda: replaced({SHEET: sheet_xml("<!-- hello -->")}),
        MARKUP,
    ),
    "billion laughs": (
        "a.xlsx",
        lambda: replaced({SHEET: sheet_xml(BILLION_LAUGHS, "&lol9;")}),
        MARKUP,
    ),
    "external entity": (
        "a.xlsx",
        lambda: replaced(
            {SHEET: sheet_xml('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")}
        ),
        MARKUP,
    ),
    "DTD in UTF-16": (
        "a.xlsx",
        lambda: replaced(
            {
                SHEET: sheet_xml('<!DOCTYPE x [<!ENTITY e "Ông Tý">]>', "&e;")
                .decode()
                .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                .encode("utf-16")
            }
        ),
        MARKUP,
    ),
    "not a zip": ("danh-sach.xlsx", lambda: "Họ và tên,Số điện thoại\n".encode(), UNREADABLE),
    "zip signature only": ("a.xlsx", lambda: b"PK\x03\x04" + bytes(100), UNREADABLE),
    "truncated zip": ("a.xlsx", truncated, UNREADABLE),
    "damaged zip": ("a.xlsx", damaged, UNREADABLE),
    "zip without a workbook": (
        "a.xlsx",
        lambda: _zip({"hello.txt": b"hello"}),
        UNREADABLE,
    ),
    "malformed sheet XML": (
        "a.xlsx",
        lambda: replaced({SHEET: sheet_xml()[:-20]}),
        UNREADABLE,
    ),
    "overlong CSV cell": ("a.csv", overlong_csv_cell, BAD_CSV),
    "too many CSV rows": ("a.csv", too_many_csv_rows, TOO_MANY),
}


def _zip(parts: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return output.getvalue()


@functools.cache
def hostile(case: str) -> tuple[str, bytes, str]:
    name, build, message = HOSTILE[case]
    return name, build(), message


def _named(content: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(content)
    buffer.name = name
    return buffer


def admin_refusal(client, content: bytes, name: str) -> str:
    """Upload in the admin; the refusal shown on the file field (the page answers 200)."""
    response = client.post(IMPORT_URL, {"file": _named(content, name)})
    assert response.status_code == 200
    assert "member_import" not in client.session and response.context["report"] is None
    assert not (Path(settings.DATA_DIR) / "imports").exists() or not any(
        (Path(settings.DATA_DIR) / "imports").iterdir()
    )
    return " ".join(response.context["form"].errors["file"])


def command_refusal(tmp_path: Path, content: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as refused, translation.override("vi"):
        call_command("import_members", str(path), "--commit", stdout=io.StringIO())
    return str(refused.value)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_in_vietnamese_by_the_admin(case, client, police, register):
    name, content, message = hostile(case)
    client.force_login(police)
    assert message in admin_refusal(client, content, name)
    assert not Member.objects.exists()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_in_vietnamese_by_the_command(case, tmp_path, register):
    name, content, message = hostile(case)
    assert message in command_refusal(tmp_path, content, name)
    assert not Member.objects.exists()


def test_the_guard_refuses_before_the_parser_reads(monkeypatch):
    """The workbook with the huge comment never reaches the parser."""
    opened = []
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", lambda *a, **k: opened.append(a))
    with pytest.raises(ValidationError, match=TOO_LARGE), translation.override("vi"):
        read_rows(io.BytesIO(huge_comment()), "a.xlsx")
    with pytest.raises(ValidationError, match=r"DTD"), translation.override("vi"):
        read_rows(io.BytesIO(hostile("billion laughs")[1]), "a.xlsx")
    assert opened == []


def test_a_valid_workbook_still_previews_and_commits(client, police, register):
    client.force_login(police)
    preview = client.post(IMPORT_URL, {"file": _named(workbook(), "a.xlsx")})
    token = client.session["member_import"]["token"]
    assert [r.status.value for r in preview.context["report"].rows] == ["new"]
    assert not Member.objects.exists()
    client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert Member.objects.get().full_name == "Nguyễn Văn An"


def test_the_row_cap_counts_the_rows_of_a_workbook(monkeypatch, client, police, register):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    book = openpyxl.Workbook()
    book.active.append(list(COLUMNS.values()))
    for i in range(4):
        book.active.append(["nhom-a", f"Người {i}", f"091555000{i}"])
    output = io.BytesIO()
    book.save(output)
    client.force_login(police)
    assert "tối đa 3 dòng" in admin_refusal(client, output.getvalue(), "a.xlsx")
    assert not Member.objects.exists()


def test_empty_rows_count_towards_the_cap(monkeypatch, tmp_path, register):
    """A sheet of endless empty rows is not read to its end."""
    monkeypatch.setattr(importing, "MAX_SHEET_ROWS", 10)
    content = (
        "Mã nhóm,Họ và tên,Số điện thoại\n" + ",,\n" * 20 + "nhom-a,An,0915550001\n"
    ).encode()
    assert TOO_MANY in command_refusal(tmp_path, content, "a.csv")
    assert not Member.objects.exists()


def test_reading_is_bounded_in_time(settings, client, police, register):
    settings.IMPORT_MAX_SECONDS = -1  # the deadline has passed when the reading starts
    lines = "".join(f"nhom-a,Người {i},09155{i:05d}\n" for i in range(1500))
    content = ("Mã nhóm,Họ và tên,Số điện thoại\n" + lines).encode()
    client.force_login(police)
    assert TOO_LONG in admin_refusal(client, content, "a.csv")
    assert not Member.objects.exists()


def test_the_command_reads_at_most_the_file_size_limit(monkeypatch, tmp_path, register):
    monkeypatch.setattr("binhyen.spreadsheets.MAX_FILE_BYTES", 1000)
    content = ("Họ và tên,Số điện thoại\n" + "An,0915550001\n" * 200).encode()
    assert "Tệp lớn hơn 1 MB" in command_refusal(tmp_path, content, "a.csv")
    assert not Member.objects.exists()


def test_behind_the_guard_openpyxl_parses_through_defusedxml(monkeypatch, register):
    """The second line: were the guard to miss a DTD, openpyxl (using defusedxml, a pinned
    requirement) refuses it instead of expanding its entities. Kept small, so that without
    defusedxml the expansion is only a long name, not a memory bomb."""
    monkeypatch.setattr(importing, "check_xlsx", lambda data: None)
    laughs = BILLION_LAUGHS.split("<!ENTITY lol5")[0] + "]>"
    content = replaced({SHEET: sheet_xml(laughs, "&lol4;")})
    with pytest.raises(ValidationError, match=UNREADABLE), translation.override("vi"):
        read_rows(io.BytesIO(content), "a.xlsx")

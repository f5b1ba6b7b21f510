"""Old rosters read as they are (#21): .xls files typed in the legacy fonts TCVN3 (.VnTime) and
VNI (VNI-Times), and addresses of before the 2025 merger, through the admin's import page and the
command line. The files are built here as old Excel wrote them (xlwt): a key typed in a legacy
font is stored as the Windows-1252 character of the font's byte."""

from __future__ import annotations

import datetime
import io

import pytest
import xlwt
from django.core.management import CommandError, call_command

from binhyen import legacy_text
from groups.importing import COLUMNS, read_file
from groups.models import Member

from .test_import import IMPORT_URL, _named, english

NAMES = ["Nguyễn Văn Đức", "Trần Thị Lê", "Phạm Minh Tuấn", "Lê Thị Hằng"]
# Old units: xã Thuận Phú (huyện Đồng Phú, Bình Phước) became part of Xã Thuận Lợi in 2025;
# ấp 3 of it is the hamlet now called "Ấp Thuận Hòa" (its former name, recorded below).
OLD_ADDRESSES = [
    "Số 12, ấp 3, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước",
    "ấp 5, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước",
    "Số 7, ấp 3, xã Thuận Lợi, huyện Đồng Phú, tỉnh Bình Phước",
    "tổ 2, ấp 4, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước",
]
# Xã Nam Cát Tiên (huyện Tân Phú, Đồng Nai) was split between Xã Nam Cát Tiên and Xã Tà Lài.
SPLIT_ADDRESS = "ấp 1, xã Nam Cát Tiên, huyện Tân Phú, tỉnh Đồng Nai"
HEADER = [COLUMNS["group"], COLUMNS["full_name"], COLUMNS["phone"], COLUMNS["household"],
          COLUMNS["notes"], COLUMNS["joined_on"]]  # fmt: skip


def xls(rows, fonts) -> tuple[bytes, str]:
    """An .xls workbook: HEADER (in Arial), then `rows`; `fonts[column]`: that column's font."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Danh sách")
    styles: dict[str, xlwt.XFStyle] = {}

    def style(font: str) -> xlwt.XFStyle:
        if font not in styles:
            styles[font] = xlwt.XFStyle()
            styles[font].font = xlwt.Font()
            styles[font].font.name = font
        return styles[font]

    for colx, header in enumerate(HEADER):
        sheet.write(0, colx, header, style("Arial"))
    for rowx, row in enumerate(rows, start=1):
        for colx, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(rowx, colx, value, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
            else:
                sheet.write(rowx, colx, value, style(fonts.get(colx, "Arial")))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue(), "danh-sach-cu.xls"


def tcvn3_roster(addresses=OLD_ADDRESSES, notes="Liên hệ qua Zalo") -> tuple[bytes, str]:
    """Names and addresses typed in .VnTime (TCVN3), notes in English or Unicode (Arial)."""
    rows = [
        (
            "nhom-a",
            legacy_text.encode(name, "tcvn3"),
            f"0915 550 00{n}",
            legacy_text.encode(address, "tcvn3"),
            notes,
            datetime.date(2020, 1, 1 + n),
        )
        for n, (name, address) in enumerate(zip(NAMES, addresses, strict=True))
    ]
    return xls(rows, fonts={1: ".VnTime", 3: ".VnTime"})


@pytest.fixture
def renamed_hamlet(register, hamlet_a):
    hamlet_a.former_names = "Ấp 3"
    hamlet_a.save()
    return hamlet_a


def upload(client, file, **data):
    content, name = file
    return client.post(IMPORT_URL, {"file": _named(content, name), **data})


def test_a_tcvn3_xls_roster_with_old_addresses_previews_commits_and_is_found(
    client, police, renamed_hamlet
):
    client.force_login(police)
    preview = upload(client, tcvn3_roster(), old_addresses="on")
    report, read = preview.context["report"], preview.context["read"]
    assert [row.full_name for row in report.rows] == NAMES
    assert {row.status for row in report.rows} == {"new"}
    assert not Member.objects.exists()  # a preview saves nothing
    # what was found, said per column, with the text before and after
    columns = {column.field: column for column in read.columns}
    assert columns["full_name"].encoding == "tcvn3" and columns["full_name"].converted == 4
    assert ".VnTime" in columns["full_name"].detection.reason
    assert columns["full_name"].samples[0] == (2, legacy_text.encode(NAMES[0], "tcvn3"), NAMES[0])
    assert columns["notes"].encoding == "unicode" and columns["notes"].converted == 0
    # old → new, the hamlet under its present name
    assert report.rows[0].address.new == "Số 12, Ấp Thuận Hòa, Xã Thuận Lợi"
    html = preview.content.decode()
    assert "Số 12, ấp 3, xã Thuận Phú, huyện Đồng Phú, tỉnh Bình Phước" in html
    assert "Nguyễn Văn Đức" in html and 'name="encoding_full_name"' in html

    token = client.session["member_import"]["token"]
    client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert sorted(Member.objects.values_list("full_name", flat=True)) == sorted(NAMES)
    duc = Member.objects.search("nguyen van duc").get()
    assert (
        duc.full_name == "Nguyễn Văn Đức" and duc.household == "Số 12, Ấp Thuận Hòa, Xã Thuận Lợi"
    )
    assert Member.objects.get(full_name="Trần Thị Lê").household == "ấp 5, Xã Thuận Lợi"
    assert Member.objects.get(full_name="Lê Thị Hằng").notes == "Liên hệ qua Zalo"


def test_without_the_old_addresses_option_addresses_stay_as_typed(client, police, register):
    client.force_login(police)
    preview = upload(client, tcvn3_roster())
    assert preview.context["read"].addresses == {}
    client.post(IMPORT_URL, {"confirm": "1", "token": client.session["member_import"]["token"]})
    assert Member.objects.get(full_name="Trần Thị Lê").household == OLD_ADDRESSES[1]


def test_a_unicode_file_is_imported_unchanged(client, police, register):
    client.force_login(police)
    rows = [("nhom-a", name, f"0915 550 00{n}", "Số 1, tổ 1", "Contact via Zalo", None)
            for n, name in enumerate(NAMES)]  # fmt: skip
    preview = upload(client, xls([r[:5] for r in rows], fonts={}))
    assert all(column.encoding == "unicode" for column in preview.context["read"].columns)
    assert preview.context["read"].converted_cells == 0
    client.post(IMPORT_URL, {"confirm": "1", "token": client.session["member_import"]["token"]})
    assert sorted(Member.objects.values_list("full_name", flat=True)) == sorted(NAMES)
    assert set(Member.objects.values_list("notes", flat=True)) == {"Contact via Zalo"}


def test_a_mixed_file_converts_only_its_legacy_column_and_leaves_unicode_cells(police, register):
    """Names in VNI (font named), a name already typed in Unicode in the same column, English
    notes and Unicode addresses: only the VNI cells change."""
    rows = [
        ("nhom-a", legacy_text.encode(NAMES[0], "vni"), "0915 550 001", "Số 1", "Call first"),
        ("nhom-a", legacy_text.encode(NAMES[1], "vni"), "0915 550 002", "Số 2", "Zalo only"),
        ("nhom-a", "Phạm Minh Tuấn", "0915 550 003", "ấp Thuận Hòa", "Evening"),
    ]
    content, name = xls(rows, fonts={1: "VNI-Times"})
    read = read_file(io.BytesIO(content), name)
    assert [row["full_name"] for row in read.rows] == NAMES[:3]
    names = next(column for column in read.columns if column.field == "full_name")
    assert (names.encoding, names.converted) == ("vni", 2)
    assert [row["notes"] for row in read.rows] == ["Call first", "Zalo only", "Evening"]
    assert [row["household"] for row in read.rows] == ["Số 1", "Số 2", "ấp Thuận Hòa"]


def test_legacy_text_without_fonts_is_found_from_its_characters_headers_included(police, register):
    """A roster re-saved in Arial: the characters tell TCVN3, even in the header row."""
    rows = [("nhom-a", legacy_text.encode(name, "tcvn3"), f"0915 550 00{n}")
            for n, name in enumerate(NAMES)]  # fmt: skip
    book = xlwt.Workbook()
    sheet = book.add_sheet("Danh sách")
    header = [COLUMNS["group"], legacy_text.encode(COLUMNS["full_name"], "tcvn3"), "SĐT"]
    for rowx, row in enumerate([header, *rows]):
        for colx, value in enumerate(row):
            sheet.write(rowx, colx, value)
    output = io.BytesIO()
    book.save(output)
    read = read_file(io.BytesIO(output.getvalue()), "cu.xls")
    assert [row["full_name"] for row in read.rows] == NAMES
    column = next(column for column in read.columns if column.field == "full_name")
    assert column.encoding == "tcvn3" and "TCVN3" in column.detection.reason


def test_the_importer_can_choose_another_encoding_for_a_column(client, police, register):
    client.force_login(police)
    english(client)
    upload(client, tcvn3_roster())
    token = client.session["member_import"]["token"]
    again = client.post(
        IMPORT_URL, {"recheck": "1", "token": token, "encoding_full_name": "unicode"}
    )
    names = next(c for c in again.context["read"].columns if c.field == "full_name")
    assert names.chosen and names.encoding == "unicode" and names.converted == 0
    assert "Chosen by you." in again.content.decode()
    assert not Member.objects.exists()  # checking again saves nothing
    client.post(IMPORT_URL, {"confirm": "1", "token": token, "encoding_full_name": "unicode"})
    typed = legacy_text.encode(NAMES[0], "tcvn3")
    assert Member.objects.filter(full_name=typed).exists()  # kept as typed, as chosen


def test_a_split_old_commune_waits_for_a_choice_and_nothing_is_saved_meanwhile(
    client, police, register
):
    client.force_login(police)
    english(client)
    addresses = [*OLD_ADDRESSES[:3], SPLIT_ADDRESS]
    preview = upload(client, tcvn3_roster(addresses), old_addresses="on")
    report = preview.context["report"]
    waiting = report.rows[3]
    assert waiting.status == "choice" and waiting.address.needs_choice
    assert {name for _code, name in waiting.address.choices} == {"Xã Nam Cát Tiên", "Xã Tà Lài"}
    html = preview.content.decode()
    assert 'name="address_5"' in html and 'name="confirm"' not in html
    token = client.session["member_import"]["token"]
    refused = client.post(IMPORT_URL, {"confirm": "1", "token": token})
    assert not Member.objects.exists()
    assert "choose the new commune" in refused.content.decode()
    [(code, _name)] = [c for c in waiting.address.choices if c[1] == "Xã Tà Lài"]
    again = client.post(IMPORT_URL, {"recheck": "1", "token": token, "address_5": code})
    assert again.context["report"].awaiting_count == 0
    assert 'name="confirm"' in again.content.decode()
    client.post(IMPORT_URL, {"confirm": "1", "token": token, "address_5": code})
    assert Member.objects.get(full_name="Lê Thị Hằng").household == "ấp 1, Xã Tà Lài"
    assert Member.objects.count() == 4


def test_a_choice_outside_the_successors_is_no_choice(client, police, register):
    client.force_login(police)
    upload(client, tcvn3_roster([*OLD_ADDRESSES[:3], SPLIT_ADDRESS]), old_addresses="on")
    token = client.session["member_import"]["token"]
    client.post(IMPORT_URL, {"confirm": "1", "token": token, "address_5": "25387"})
    assert not Member.objects.exists()


def test_the_command_reads_the_same_file_with_the_same_options(
    police, renamed_hamlet, tmp_path, capsys
):
    path = tmp_path / "danh-sach-cu.xls"
    path.write_bytes(tcvn3_roster([*OLD_ADDRESSES[:3], SPLIT_ADDRESS])[0])
    with pytest.raises(CommandError, match="--address-choice"):
        call_command("import_members", str(path), "--old-addresses", "--commit")
    output = capsys.readouterr().out
    assert "TCVN3 (ABC)" in output  # the column converted, said in the interface language
    assert "Số 12, Ấp Thuận Hòa, Xã Thuận Lợi" in output
    assert not Member.objects.exists()
    call_command(
        "import_members", str(path), "--old-addresses", "--commit",
        "--address-choice", "5=26122",
    )  # fmt: skip
    assert Member.objects.get(full_name="Lê Thị Hằng").household == "ấp 1, Xã Nam Cát Tiên"
    assert Member.objects.search("nguyen van duc").get().full_name == "Nguyễn Văn Đức"


def test_the_command_encoding_option_applies_as_chosen(police, register, tmp_path):
    path = tmp_path / "cu.xls"
    path.write_bytes(tcvn3_roster()[0])
    call_command("import_members", str(path), "--commit", "--encoding", "full_name=unicode")
    assert Member.objects.filter(full_name=legacy_text.encode(NAMES[0], "tcvn3")).exists()
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--encoding", "full_name=latin9")


def test_a_legacy_csv_reads_like_the_workbook(police, register):
    """A CSV saved from a .VnTime sheet holds the font's bytes, not UTF-8 (the headers typed
    without diacritics, as the aliases allow)."""
    lines = ["Ma nhom,Ho ten,SDT"]
    lines += [f"nhom-a,{legacy_text.encode(name, 'tcvn3')},0915 550 00{n}"
              for n, name in enumerate(NAMES)]  # fmt: skip
    read = read_file(io.BytesIO("\r\n".join(lines).encode("cp1252")), "cu.csv")
    assert read.csv_encoding == "cp1252"
    assert [row["full_name"] for row in read.rows] == NAMES


def test_a_utf16_csv_is_read(police, register):
    text = "\n".join([f"{COLUMNS['full_name']},{COLUMNS['phone']}", "Nguyễn Văn Đức,0915 550 001"])
    read = read_file(io.BytesIO(text.encode("utf-16")), "danh-sach.csv")
    assert read.csv_encoding == "utf-16" and read.rows[0]["full_name"] == "Nguyễn Văn Đức"


def _xlsx_with_font(name_font: str) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([COLUMNS["group"], COLUMNS["full_name"], COLUMNS["phone"]])
    sheet.append(["nhom-a", legacy_text.encode("Lê Hằng", "tcvn3"), "0915 550 001"])
    sheet["B2"].font = Font(name=name_font)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_an_xlsx_cell_font_names_the_legacy_encoding(police, register):
    """Two words are too few for the characters to tell (they might be Latin-1 text), but a
    .VnTime cell font says it: the font decides, in an .xlsx as in an .xls."""
    read = read_file(io.BytesIO(_xlsx_with_font(".VnTime")), "a.xlsx")
    assert read.rows[0]["full_name"] == "Lê Hằng"
    assert ".VnTime" in read.columns[0].detection.reason
    unmarked = read_file(io.BytesIO(_xlsx_with_font("Arial")), "a.xlsx")
    assert unmarked.rows[0]["full_name"] == legacy_text.encode("Lê Hằng", "tcvn3")

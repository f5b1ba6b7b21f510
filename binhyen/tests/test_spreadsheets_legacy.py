"""Excel 97–2003 files and CSV encodings: read as they are, with the fonts that tell a legacy
Vietnamese encoding. The .xls files are written here with xlwt, as old Excel wrote them: text
typed in a legacy font is stored as the Windows-1252 characters of the font's bytes."""

import codecs
import datetime
import io
import unicodedata

import pytest
import xlwt
from django.core.exceptions import ValidationError

from binhyen import legacy_text
from binhyen.spreadsheets import MAX_FILE_BYTES, check_xls, decode_csv, read_xls

NAMES = ["Nguyễn Văn Đức", "Trần Thị Lê", "Phạm Minh Tuấn"]
ADDRESSES = ["ấp Thuận Phú 1, xã Thuận Lợi", "ấp 3, xã Thuận Phú", "ấp 5, xã Tân Lợi"]


def xls_file(rows, fonts=None) -> bytes:
    """An .xls workbook of `rows`; `fonts[column]` is the font name of that column's data."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Danh sách")
    styles = {}
    for rowx, row in enumerate(rows):
        for colx, value in enumerate(row):
            font = (fonts or {}).get(colx) if rowx else None
            if font not in styles:
                style = xlwt.XFStyle()
                style.font = xlwt.Font()
                style.font.name = font or "Arial"
                styles[font] = style
            if isinstance(value, datetime.date):
                date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
                sheet.write(rowx, colx, value, date_style)
            else:
                sheet.write(rowx, colx, value, styles[font])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def roster() -> bytes:
    """Names in .VnTime (TCVN3), addresses in VNI-Times, phones and dates, and a header."""
    rows = [("Họ và tên", "Địa chỉ", "Số điện thoại", "Ngày vào")]
    for i, (name, address) in enumerate(zip(NAMES, ADDRESSES, strict=True)):
        rows.append(
            (
                legacy_text.encode(name, "tcvn3"),
                legacy_text.encode(address, "vni"),
                f"0912 345 67{i}",
                datetime.date(2020, 1, 1 + i),
            )
        )
    return xls_file(rows, fonts={0: ".VnTime", 1: "VNI-Times"})


def test_read_xls_gives_the_values_and_the_fonts_of_each_column():
    sheet = read_xls(roster())
    assert sheet.rows[0] == ("Họ và tên", "Địa chỉ", "Số điện thoại", "Ngày vào")
    assert sheet.rows[1][0] == "NguyÔn V¨n §øc"  # what Excel holds for .VnTime text
    assert sheet.rows[1][3] == datetime.datetime(2020, 1, 1)
    assert sheet.column_fonts[0] == {"Arial", ".VnTime"}
    assert sheet.column_fonts[1] == {"Arial", "VNI-Times"}
    assert sheet.column_fonts[2] == {"Arial"}
    assert sheet.cell_fonts[1][:3] == (".VnTime", "VNI-Times", "Arial")
    assert sheet.cell_fonts[1][3] is None  # a date: no text, no font


def test_read_xls_then_detect_and_convert_each_column():
    """The whole path: the fonts name the encodings; phones and the header stay as they are."""
    sheet = read_xls(roster())
    columns = list(zip(*sheet.rows[1:], strict=True))
    found = [
        legacy_text.detect(column, sheet.column_fonts[i]).encoding
        for i, column in enumerate(columns)
    ]
    assert found == ["tcvn3", "vni", "unicode", "unicode"]
    assert [legacy_text.convert(text, "tcvn3") for text in columns[0]] == NAMES
    assert [legacy_text.convert(text, "vni") for text in columns[1]] == [
        address[0].upper() + address[1:] if address.startswith("Ấ") else address
        for address in ADDRESSES
    ]
    assert columns[2] == ("0912 345 670", "0912 345 671", "0912 345 672")


def test_read_xls_capital_font_and_a_unicode_column():
    rows = [("Tên", "Ghi chú"), ("nguyÔn v¨n §øc", "Đã chuyển đi"), ("trÇn thÞ lª", "Hello")]
    sheet = read_xls(xls_file(rows, fonts={0: ".VnTimeH", 1: "Times New Roman"}))
    detection = legacy_text.detect([r[0] for r in sheet.rows[1:]], sheet.column_fonts[0])
    assert (detection.encoding, detection.capitals) == ("tcvn3", True)
    converted = [legacy_text.convert(r[0], "tcvn3", capitals=True) for r in sheet.rows[1:]]
    assert converted == ["NGUYỄN VĂN ĐỨC", "TRẦN THỊ LÊ"]
    notes = legacy_text.detect([r[1] for r in sheet.rows[1:]], sheet.column_fonts[1])
    assert notes.encoding == "unicode"


def test_read_xls_without_fonts_detects_from_the_characters():
    rows = [("Họ và tên",), *((legacy_text.encode(name, "vni"),) for name in NAMES)]
    sheet = read_xls(xls_file(rows))  # typed in VNI, font since changed to Arial
    column = [row[0] for row in sheet.rows[1:]]
    assert legacy_text.detect(column, sheet.column_fonts[0]).encoding == "vni"


def test_read_xls_rich_text_runs_count_their_fonts():
    book = xlwt.Workbook()
    sheet = book.add_sheet("s")
    legacy = xlwt.Font()
    legacy.name = ".VnTime"
    sheet.write_rich_text(0, 0, ["Hä tªn: ", ("NguyÔn", legacy)])
    output = io.BytesIO()
    book.save(output)
    assert ".VnTime" in read_xls(output.getvalue()).column_fonts[0]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Ho va ten,So dien thoai\r\n",
        b"PK\x03\x04" + b"\x00" * 100,  # an .xlsx renamed .xls
        b"<html><body>not a workbook</body></html>",
    ],
)
def test_check_xls_refuses_what_is_not_ole2(data):
    with pytest.raises(ValidationError) as error:
        check_xls(data)
    assert error.value.code == "not_xls"
    assert "Excel 97" in str(error.value.messages[0])


def test_check_xls_refuses_an_oversized_file():
    with pytest.raises(ValidationError) as error:
        check_xls(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * MAX_FILE_BYTES)
    assert error.value.code == "too_large"


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # an OLE2 header and nothing
        roster()[:3000],  # truncated
    ],
)
def test_read_xls_refuses_a_damaged_file_cleanly(data):
    with pytest.raises(ValidationError) as error:
        read_xls(data)
    assert error.value.code == "unreadable"


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """`text` as Windows wrote it in its Vietnamese code page: letters with a tone mark as the
    letter without it followed by the combining mark (â ê ô ơ ư ă đ have their own bytes)."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tone = "".join(mark for mark in decomposed if mark in TONE_MARKS)
            base = unicodedata.normalize("NFC", decomposed.translate({ord(t): None for t in tone}))
            out += (base + tone).encode("cp1258")
    return out


CSV = "Họ và tên;Số điện thoại\r\nNguyễn Văn Đức;0912 345 678\r\nTrần Thị Lê;0912 345 679\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CSV.encode("utf-8"), "utf-8-sig"),
        (CSV.encode("utf-16"), "utf-16"),  # with its byte order mark
        (codecs.BOM_UTF16_BE + CSV.encode("utf-16-be"), "utf-16"),
        # Excel's plain CSV on a Vietnamese Windows: tone marks as combining characters.
        (windows_1258(CSV), "cp1258"),
    ],
)
def test_decode_csv_unicode_encodings(data, encoding):
    text, found = decode_csv(data)
    assert (text, found) == (CSV, encoding)


@pytest.mark.parametrize("legacy", ["tcvn3", "vni"])
def test_decode_csv_legacy_font_bytes_read_like_the_workbook(legacy):
    """A CSV saved from a .VnTime or VNI-Times sheet holds the font's bytes: read as
    Windows-1252, they are the same strings xlrd gives for the workbook, then converted."""
    lines = [legacy_text.encode(name, legacy) + f";0912 345 67{i}" for i, name in enumerate(NAMES)]
    data = "\r\n".join(lines).encode("cp1252")
    text, found = decode_csv(data)
    assert found == "cp1252"
    column = [line.split(";")[0] for line in text.splitlines()]
    assert column == [legacy_text.encode(name, legacy) for name in NAMES]
    detection = legacy_text.detect(column)
    assert detection.encoding == legacy
    assert [legacy_text.convert(cell, legacy) for cell in column] == NAMES


def test_decode_csv_english_8_bit_text_is_not_taken_for_a_legacy_font():
    text, found = decode_csv("Name;City\r\nJosé;Zürich\r\n".encode("cp1252"))
    assert found == "cp1258"
    assert text.splitlines()[1] == "José;Zürich"


def test_decode_csv_broken_utf16_is_refused():
    with pytest.raises(ValidationError):
        decode_csv(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate

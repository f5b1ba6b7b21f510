"""The three documents: the party header, the figures, the charts, the draft mark, and never an
informant's identity or a member's phone (markers planted in the fixture)."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from conftest import skip_or_fail
from groups.models import Commune, Hamlet
from reports.models import IncidentReport
from reports.tests.factories import MARKER
from reviews.content import build_document, date_line, number_line, review_data
from reviews.documents import render_docx, render_pdf, render_xlsx
from reviews.models import AnnualReview, Commendation, ReviewSettings
from reviews.services import commendation_decide, commendation_nominate, review_create
from reviews.tests.factories import local

pytestmark = pytest.mark.django_db

HEADER_LINES = [
    "ĐẢNG BỘ TỈNH ĐỒNG NAI",
    "ĐẢNG ỦY XÃ THUẬN LỢI",
    "ĐẢNG CỘNG SẢN VIỆT NAM",
    "Thuận Lợi, ngày … tháng … năm",
    "Số …-BC/ĐU",
    "BÁO CÁO",
    "Nơi nhận:",
    "T/M ĐẢNG ỦY",
    "BÍ THƯ",
]
PHONE_FORMS = re.compile(r"599[\s.\-]?777[\s.\-]?111")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        skip_or_fail("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


@pytest.fixture
def review(police: User, commune: Commune, fixture_2026: dict[str, Any]) -> AnnualReview:
    return review_create(actor=police, commune=commune, year=2026)


@pytest.fixture
def approved(review: AnnualReview, police: User, party_office: User, hamlet_a: Hamlet) -> None:
    nomination = commendation_nominate(
        actor=police,
        review=review,
        nominee_kind=Commendation.Nominee.HAMLET,
        target=hamlet_a,
        reason="Hai tin báo có giá trị.",
    )
    commendation_decide(actor=party_office, commendation=nomination, approve=True)


def test_pdf_holds_the_header_the_figures_and_no_marker(
    review: AnnualReview, approved: None, tmp_path: Path
) -> None:
    text = pdf_text(render_pdf(build_document(review_data(review))), tmp_path)
    flat = " ".join(text.split())
    for line in HEADER_LINES:
        assert line in flat, line
    assert review.subject in flat
    assert "Ấp Thuận Hòa" in flat
    assert "13,3" in flat  # the commune's coverage
    assert "144" in flat  # median hours
    assert "1/2 ấp đạt" in flat
    assert "Hai tin báo có giá trị." in flat
    assert "Tỷ lệ hộ tham gia theo ấp (%)" in flat  # the coverage chart's title
    assert "Tin báo theo lĩnh vực" in flat
    assert flat.count("<svg") == 0  # the charts are drawn, not printed as markup
    assert MARKER not in text
    assert not PHONE_FORMS.search(text)
    # The draft mark is on every page.
    pages = text.split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 2
    assert all("DỰ THẢO" in page for page in pages)


def test_docx_holds_the_same(review: AnnualReview, approved: None) -> None:
    content = render_docx(build_document(review_data(review)))
    text = docx_text(content)
    for line in HEADER_LINES:
        assert line in text, line
    assert "DỰ THẢO" in text
    assert "13,3" in text
    assert "Hai tin báo có giá trị." in text
    assert MARKER not in text
    assert not PHONE_FORMS.search(text)
    document = docx.Document(io.BytesIO(content))
    header = document.tables[0]
    assert len(header.columns) == 2
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header.cell(0, 1).text
    assert len(document.inline_shapes) == 2  # the two charts


def test_xlsx_numbers_equal_the_database(review: AnnualReview, hamlet_a: Hamlet) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(build_document(review_data(review)))))
    assert "Tổng hợp" in workbook.sheetnames
    assert "Tin báo theo ấp" in workbook.sheetnames
    sheet = workbook["Tin báo theo ấp"]
    assert sheet["A2"].value == "Ấp"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    received = IncidentReport.objects.filter(
        hamlet=hamlet_a, created_at__gte=local(2026, 1, 1), created_at__lt=local(2027, 1, 1)
    ).count()
    assert rows[hamlet_a.name][1] == received == 3
    assert isinstance(rows[hamlet_a.name][1], int)
    groups = {
        row[0]: row for row in workbook["Nhóm và thành viên"].iter_rows(min_row=3, values_only=True)
    }
    assert groups["Toàn xã"][9] == 13.3
    everything = " ".join(
        str(cell) for ws in workbook for row in ws.iter_rows(values_only=True) for cell in row
    )
    assert MARKER not in everything
    assert not PHONE_FORMS.search(everything)
    assert "DỰ THẢO" in workbook["Tổng hợp"]["A1"].value


def test_docx_layout_tables_follow_the_schema(review: AnnualReview) -> None:
    """tblBorders before tblLook in tblPr, or Word reports unreadable content."""
    document = docx.Document(io.BytesIO(render_docx(build_document(review_data(review)))))
    properties = document.tables[0]._tbl.tblPr
    names = [child.tag.rsplit("}", 1)[1] for child in properties]
    assert names.index("tblBorders") < names.index("tblLook")


def test_the_header_and_signature_are_the_communes_settings(
    review: AnnualReview, commune: Commune
) -> None:
    settings = ReviewSettings.for_commune(commune)
    settings.higher_body = "ĐẢNG BỘ TỈNH BÌNH PHƯỚC"
    settings.signer_title = "PHÓ BÍ THƯ"
    settings.signer_name = "Trần Văn Thử"
    settings.recipients = "- Ban Thường vụ Tỉnh ủy (b/c);\n- Lưu VP."
    settings.save()
    text = docx_text(render_docx(build_document(review_data(review))))
    for line in ("ĐẢNG BỘ TỈNH BÌNH PHƯỚC", "PHÓ BÍ THƯ", "Trần Văn Thử", "- Lưu VP."):
        assert line in text


def test_a_finalised_number_and_date() -> None:
    data = {"settings": {"number_suffix": "BC/ĐU", "place_name": "Thuận Lợi"}}
    assert number_line({**data, "number": 7}) == "Số 7-BC/ĐU"
    assert date_line({**data, "issued_on": "2027-02-05"}) == "Thuận Lợi, ngày 05 tháng 02 năm 2027"
    assert date_line({**data, "issued_on": "2026-12-15"}) == "Thuận Lợi, ngày 15 tháng 12 năm 2026"
    assert date_line(data, today=datetime.date(2026, 12, 1)) == "Thuận Lợi, ngày … tháng … năm 2026"


def test_the_difference_column_and_the_status_button_are_two_words(
    review: AnnualReview, client, police, hamlet_a: Hamlet
) -> None:
    """One English "Change", two Vietnamese meanings (message contexts): the review's column of
    differences reads "Tăng/giảm", the report's status button "Chuyển", and the admin keeps
    Django's own "Thay đổi"."""
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(build_document(review_data(review)))))
    header = [cell.value for cell in workbook["Tổng hợp"][2]]
    assert "Tăng/giảm" in header and "Chuyển" not in header
    report = IncidentReport.objects.filter(hamlet=hamlet_a).first()
    client.force_login(police)
    detail = client.get(f"/reports/{report.pk}/").content.decode()
    assert ">Chuyển</button>" in detail
    with translation.override("vi"):
        assert gettext("Change") == "Thay đổi"  # Django's catalogue, no longer ours

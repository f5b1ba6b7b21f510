"""The layout of the three documents: the closing paragraph, the signature (with the signer's
name from the commune's settings) and "Nơi nhận" on one page; hamlet names on one line; every
sheet of the XLSX set up to print (landscape, one page wide, header rows repeated)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm

from accounts.models import User
from conftest import skip_or_fail
from groups.models import Commune
from reviews.content import build_document, review_data
from reviews.documents import render_docx, render_pdf, render_xlsx
from reviews.models import AnnualReview, ReviewSettings
from reviews.services import review_create

pytestmark = pytest.mark.django_db

SIGNER = "Lê Thị Ký"


@pytest.fixture
def review(police: User, commune: Commune, fixture_2026: dict[str, Any]) -> AnnualReview:
    settings = ReviewSettings.for_commune(commune)
    settings.signer_name = SIGNER
    settings.save()
    return review_create(actor=police, commune=commune, year=2026)


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    if not shutil.which("pdftotext"):
        skip_or_fail("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


@pytest.mark.parametrize("extra_paragraphs", [0, 3, 6, 9, 12, 15])
def test_pdf_the_signature_shares_its_page_with_the_closing_paragraph_and_the_recipients(
    review: AnnualReview, tmp_path: Path, extra_paragraphs: int
) -> None:
    """Longer or shorter text before it moves the end of the report down the page: wherever it
    falls, the signer's name, the closing paragraph and "Nơi nhận" are on one page."""
    data = review_data(review)
    lines = [f"Nhiệm vụ bổ sung số {index}." for index in range(extra_paragraphs)]
    data["narrative"]["directions"] = "\n".join([data["narrative"]["directions"], *lines])
    pages = pdf_pages(render_pdf(build_document(data)), tmp_path)
    signed = [page for page in pages if SIGNER in page]
    assert len(signed) == 1
    closing = " ".join(data["narrative"]["proposals"].split())
    for text in ("III. ĐỀ XUẤT, KIẾN NGHỊ", closing, "Nơi nhận:", "T/M ĐẢNG ỦY", "BÍ THƯ"):
        assert text in signed[0], text


def test_docx_keeps_the_closing_paragraph_with_the_signature(review: AnnualReview) -> None:
    document = docx.Document(io.BytesIO(render_docx(build_document(review_data(review)))))
    paragraphs = document.paragraphs
    heading = next(i for i, p in enumerate(paragraphs) if p.text == "III. ĐỀ XUẤT, KIẾN NGHỊ")
    for paragraph in paragraphs[heading:]:
        if paragraph.text:
            assert paragraph.paragraph_format.keep_with_next, paragraph.text
            assert paragraph.paragraph_format.keep_together, paragraph.text
    closing = document.tables[-1]
    assert closing._tbl.tr_lst[0].trPr.find(qn("w:cantSplit")) is not None
    recipients, signature = closing.rows[0].cells
    assert recipients.paragraphs[0].text == "Nơi nhận:"
    lines = [p for p in signature.paragraphs]
    assert [p.text for p in lines if p.text] == ["T/M ĐẢNG ỦY", "BÍ THƯ", SIGNER]
    for paragraph in [*recipients.paragraphs, *lines[:-1]]:
        assert paragraph.paragraph_format.keep_with_next
        assert paragraph.paragraph_format.keep_together


def test_docx_the_hamlet_column_is_wide_enough_for_a_name(review: AnnualReview) -> None:
    document = docx.Document(io.BytesIO(render_docx(build_document(review_data(review)))))
    figure_tables = [table for table in document.tables if table.style.name == "Table Grid"]
    labelled = [table for table in figure_tables if table.rows[0].cells[0].text != "STT"]
    assert any(table.rows[0].cells[0].text == "Ấp" for table in labelled)
    for table in labelled:
        first = table.rows[0].cells[0]
        assert first.width >= Mm(30), first.text
    for table in figure_tables:
        total = sum(cell.width for cell in table.rows[0].cells)
        assert total <= Mm(166)  # within the text width


def test_xlsx_every_sheet_is_set_up_to_print(review: AnnualReview) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(build_document(review_data(review)))))
    for sheet in workbook:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$2"
        last = sheet.cell(row=sheet.max_row, column=sheet.max_column).coordinate
        assert (
            sheet.print_area == f"'{sheet.title}'!$A$1:${last.rstrip('0123456789')}${sheet.max_row}"
        )
        width = sheet.column_dimensions["A"].width
        for (cell,) in sheet.iter_rows(min_row=3, max_col=1):
            # A hamlet's name on one line; a longer label wraps within the column.
            assert len(str(cell.value)) <= width or cell.alignment.wrap_text, cell.value
            if str(cell.value).startswith("Ấp "):
                assert len(cell.value) + 2 <= width
        assert sheet.row_dimensions[2].height >= 15


def test_the_demo_commune_signs_with_a_name(commune: Commune) -> None:
    from reviews.demo import DEMO_SIGNER, seed_settings

    assert seed_settings(commune).signer_name == DEMO_SIGNER
    assert ReviewSettings.for_commune(commune).signer_name == DEMO_SIGNER

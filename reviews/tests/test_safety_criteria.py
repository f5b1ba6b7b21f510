"""The safety assessment's criteria as Circular 124/2021/TT-BCA words them (those checked against
its published text no longer marked "to verify"), and the review's documents printing which
hamlets meet which criteria and, for the others, which criteria they miss."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from accounts.models import User
from groups.models import Commune, Hamlet
from reviews import services
from reviews.content import build_document, review_data
from reviews.documents import render_docx, render_pdf, render_xlsx
from reviews.models import AnnualReview, SafetyAssessment, SafetyCriterion
from reviews.tests.test_documents import pdf_text

pytestmark = pytest.mark.django_db


def test_the_criteria_checked_against_the_circular_are_worded_as_it_words_them() -> None:
    criteria = list(SafetyCriterion.objects.filter(active=True))
    first, second = criteria[0], criteria[1]
    assert first.text.startswith("Quý I hằng năm, chi bộ có nghị quyết, khu dân cư có đăng ký")
    assert "100% hộ gia đình đang cư trú trên địa bàn" in first.text
    assert second.text.startswith("Triển khai, thực hiện đầy đủ các chủ trương, đường lối")
    assert (first.source, second.source) == (
        "Khoản 1 Điều 4 Thông tư 124/2021/TT-BCA",
        "Khoản 2 Điều 4 Thông tư 124/2021/TT-BCA",
    )
    assert not first.to_verify and not second.to_verify
    # Not yet compared with the Circular's full text: still marked.
    assert all(criterion.to_verify for criterion in criteria[2:])


@pytest.fixture
def review(
    police: User, commune: Commune, hamlet_a: Hamlet, hamlet_b: Hamlet, fixture_2026: dict[str, Any]
) -> AnnualReview:
    """Ấp Thuận Hòa passed; Ấp Thuận Phú 1 failed, meeting criteria 1 and 2 only."""
    review = services.review_create(actor=police, commune=commune, year=2026)
    criteria = list(SafetyCriterion.objects.filter(active=True))
    failed = SafetyAssessment.objects.get(hamlet=hamlet_b, year=2026)
    services.safety_assess(
        actor=police,
        assessment=failed,
        met={c.pk: c in criteria[:2] for c in criteria},
        notes={},
        evidence="",
        result=SafetyAssessment.Result.FAILED,
    )
    return review


def test_the_pdf_prints_the_criteria_met_and_missed_by_hamlet(
    review: AnnualReview, tmp_path: Path
) -> None:
    text = " ".join(pdf_text(render_pdf(build_document(review_data(review))), tmp_path).split())
    assert "Tiêu chí “An toàn về an ninh, trật tự” theo ấp" in text
    assert re.search(r"Ấp Thuận Hòa Đạt 1, 2, 3, 4, 5, 6 —", text)
    assert re.search(r"Ấp Thuận Phú 1 Chưa đạt 1, 2 3, 4, 5, 6", text)
    assert "Quý I hằng năm, chi bộ có nghị quyết" in text


def test_the_docx_and_xlsx_print_them_too(review: AnnualReview) -> None:
    document = build_document(review_data(review))
    word = docx.Document(io.BytesIO(render_docx(document)))
    rows = {
        row.cells[0].text: [cell.text for cell in row.cells]
        for table in word.tables
        if table.rows[0].cells[0].text == "Ấp" and len(table.columns) == 4
        for row in table.rows[1:]
    }
    assert rows["Ấp Thuận Hòa"] == ["Ấp Thuận Hòa", "Đạt", "1, 2, 3, 4, 5, 6", "—"]
    assert rows["Ấp Thuận Phú 1"] == ["Ấp Thuận Phú 1", "Chưa đạt", "1, 2", "3, 4, 5, 6"]
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(document)))
    criteria = list(workbook["Tiêu chí ANTT"].iter_rows(min_row=3, values_only=True))
    assert criteria[0][0] == 1 and criteria[0][1].startswith("Quý I hằng năm")
    assert [row[2] for row in criteria] == [2, 2, 1, 1, 1, 1]  # hamlets meeting each


def test_a_snapshot_without_criteria_still_prints(review: AnnualReview) -> None:
    """A review finalised before the criteria were recorded in its figures."""
    data = review_data(review)
    for when in ("current", "previous"):
        del data["figures"]["sections"]["safety"][when]["criteria"]
    document = build_document(data)
    assert document.safety_checks is None and document.safety_criteria is None
    render_docx(document)

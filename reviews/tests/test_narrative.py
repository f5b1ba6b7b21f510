"""The text of a review never contradicts its tables: the narrative and the tables come from one
set of figures when the documents are built; an edited section whose figures changed is flagged
(old → new) with a refresh, and is neither built nor finalised; a finalised review prints its
snapshot. Section III proposes commendations only when section 4 lists some."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from conftest import logged_in, make_user
from groups.models import Commune, Hamlet
from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.tests.factories import IncidentReportFactory
from reviews import services
from reviews.content import review_state
from reviews.models import AnnualReview, Commendation, ReviewBuild
from reviews.tests.factories import local
from reviews.tests.test_bulletin_figures import _bulletin, posting
from reviews.tests.test_documents import pdf_text

pytestmark = pytest.mark.django_db

# What the narrative of "3. Kết quả thực hiện" states, and the summary table's row that holds the
# same figure: (pattern with one group per figure, [(row label, column) per group]).
THIS, BEFORE = 2, 1  # the summary table's columns: figure, previous period, this period, change
CLAIMS = [
    (r"với ([\d.]+) thành viên", [("Thành viên cuối kỳ", THIS)]),
    (r"; ([\d.]+)/[\d.]+ hộ gia đình đã tham gia", [("Số hộ tham gia", THIS)]),
    (
        r"đã tiếp nhận ([\d.]+) tin báo \(kỳ trước ([\d.]+)\), trong đó ([\d.]+) tin có giá trị",
        [("Tin báo tiếp nhận", THIS), ("Tin báo tiếp nhận", BEFORE), ("Tin báo có giá trị", THIS)],
    ),
    (r"Đã giải quyết ([\d.]+) tin báo", [("Tin báo đã giải quyết", THIS)]),
    (
        r"người báo xác nhận ([\d.]+) tin báo đã được giải quyết \(([\d,]+)%, kỳ trước",
        [
            ("Tin báo đã giải quyết được người báo xác nhận", THIS),
            ("Tin báo đã giải quyết được người báo xác nhận (%)", THIS),
        ],
    ),
    (
        r"phát hành ([\d.]+) bản tin trong các nhóm \(kỳ trước ([\d.]+)\); trong ([\d.]+) lượt "
        r"đăng tin đến hạn, ([\d.]+) lượt đăng đúng hạn",
        [
            ("Bản tin đã phát hành", THIS),
            ("Bản tin đã phát hành", BEFORE),
            ("Lượt đăng tin đến hạn", THIS),
            ("Lượt đăng tin đúng hạn", THIS),
        ],
    ),
]


def number(text: str) -> float:
    """ "1.234" → 1234, "33,3" → 33.3 (Vietnamese separators)."""
    return float(text.replace(".", "").replace(",", "."))


def assert_text_agrees(text: str, table: dict[str, list[str]]) -> dict[str, int]:
    """Every figure the narrative states equals the summary table's; returns them by row."""
    flat = " ".join(text.split())
    stated = {}
    for pattern, cells in CLAIMS:
        found = re.search(pattern, flat)
        assert found, pattern
        for value, (label, column) in zip(found.groups(), cells, strict=True):
            assert number(value) == number(table[label][column]), (label, value, table[label])
            stated[f"{label}/{column}"] = number(value)
    return stated


def pdf_summary(text: str) -> dict[str, list[str]]:
    """The summary table's rows in pdftotext -layout: the label, then three numbers."""
    rows = {}
    for line in text.splitlines():
        found = re.match(r"\s*(\S.*?\S)\s{2,}([\d.,—]+)\s+([\d.,—]+)\s+(-?[\d.,—]+)\s*$", line)
        if found:
            rows.setdefault(found.group(1), list(found.groups()))
    return rows


def docx_summary(document: Any) -> dict[str, list[str]]:
    for table in document.tables:
        if table.rows[0].cells[0].text == "Chỉ tiêu":
            return {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    raise AssertionError("no summary table")


@pytest.fixture
def review(police: User, commune: Commune, fixture_2026: dict[str, Any]) -> AnnualReview:
    return services.review_create(actor=police, commune=commune, year=2026)


def add_data(police: User, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    """A report, three imported members, a bulletin and three postings, after the draft."""
    IncidentReportFactory(hamlet=hamlet_a, created_at=local(2026, 8, 1), due_at=local(2030, 1, 1))
    group = ZaloGroupFactory(hamlet=hamlet_b, created_on=datetime.date(2026, 8, 1))
    for index in range(3):
        MemberFactory(group=group, joined_on=datetime.date(2026, 8, 2), household=f"Mới {index}")
    _bulletin(police, local(2026, 9, 1), hamlet_a)
    for day in (2, 3, 4):
        due = local(2026, 9, day, 8)
        posting(police, group, due, "posted", due)


def built(review: AnnualReview) -> ReviewBuild:
    build = services.build_run(services.build_create(actor=None, review=review).pk)
    assert build is not None and build.status == ReviewBuild.Status.DONE, build and build.error
    return build


def test_text_and_tables_come_from_one_set_of_figures(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet, tmp_path: Path
) -> None:
    drafted = review.results
    add_data(police, hamlet_a, hamlet_b)
    build = built(review)
    text = pdf_text(build.pdf.read(), tmp_path)
    stated = assert_text_agrees(text, pdf_summary(text))
    document = docx.Document(io.BytesIO(build.docx.read()))
    words = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert assert_text_agrees(words, docx_summary(document)) == stated
    # The draft's own sentences said one report, three members, one bulletin fewer.
    assert "tiếp nhận 5 tin báo" in drafted and stated["Tin báo tiếp nhận/2"] == 6
    assert "với 4 thành viên" in drafted and stated["Thành viên cuối kỳ/2"] == 7
    assert "phát hành 0 bản tin" in drafted and stated["Bản tin đã phát hành/2"] == 1
    assert stated["Lượt đăng tin đến hạn/2"] == 3


def test_an_edited_section_is_flagged_refreshed_and_kept(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet, commune: Commune
) -> None:
    own = "Ban điều hành các ấp phối hợp chặt chẽ."
    services.review_update(actor=police, review=review, results=f"{review.results}\n{own}")
    assert review_state(review).stale == []
    add_data(police, hamlet_a, hamlet_b)
    stale = review_state(review).stale
    assert [section.field for section in stale] == ["results"]
    changes = {change.fact: (change.old, change.new) for change in stale[0].changes}
    assert changes["reports.received"] == ("5", "6")
    assert changes["members.total"] == ("4", "7")
    assert changes["bulletins.published"] == ("0", "1")
    # Shown on the page and the form, with the refresh.
    for url in (
        reverse("reviews:detail", args=[review.pk]),
        reverse("reviews:edit", args=[review.pk]),
    ):
        page = logged_in(police).get(url).content.decode()
        assert 'data-stale="results"' in page
        assert "Tin báo tiếp nhận 5 → 6" in page
        assert reverse("reviews:refresh", args=[review.pk]) in page
    # Neither built nor finalised while stale.
    with pytest.raises(ValidationError) as error:
        services.build_request(actor=police, review=review)
    assert error.value.code == "narrative_stale"
    colleague = make_user("police_2", Role.COMMUNE_POLICE, commune)
    with pytest.raises(ValidationError):
        services.review_finalise(actor=colleague, review=review)
    # The refresh (through the page) writes the sentences again and keeps the editor's own.
    response = logged_in(police).post(reverse("reviews:refresh", args=[review.pk]))
    assert response.status_code == 302
    review.refresh_from_db()
    assert own in review.results
    assert "tiếp nhận 6 tin báo (kỳ trước 1)" in review.results
    assert "tiếp nhận 5 tin báo" not in review.results
    assert review_state(review).stale == []
    services.build_request(actor=police, review=review)


def test_a_reworded_sentence_stays_flagged_until_corrected(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet
) -> None:
    reworded = review.results.replace("đã tiếp nhận 5 tin báo", "đã tiếp nhận tổng cộng 5 tin báo")
    services.review_update(actor=police, review=review, results=reworded)
    add_data(police, hamlet_a, hamlet_b)
    assert services.review_narrative_refresh(actor=police, review=review) == ["Kết quả thực hiện"]
    review.refresh_from_db()
    assert "với 7 thành viên" in review.results  # the untouched sentences were refreshed
    changes = [c.fact for section in review_state(review).stale for c in section.changes]
    assert "reports.received" in changes and "members.total" not in changes
    corrected = review.results.replace("tổng cộng 5 tin báo", "tổng cộng 6 tin báo")
    services.review_update(actor=police, review=review, results=corrected)
    assert review_state(review).stale == []


def test_an_edited_section_saved_unchanged_keeps_its_flag(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet
) -> None:
    services.review_update(actor=police, review=review, results=review.results + " Thêm.")
    add_data(police, hamlet_a, hamlet_b)
    review.refresh_from_db()
    services.review_update(actor=police, review=review, results=review.results)
    assert [section.field for section in review_state(review).stale] == ["results"]


def test_a_finalised_review_prints_its_snapshot(
    review: AnnualReview, police: User, hamlet_a: Hamlet, hamlet_b: Hamlet, commune: Commune,
    tmp_path: Path,
) -> None:  # fmt: skip
    colleague = make_user("police_2", Role.COMMUNE_POLICE, commune)
    services.review_finalise(actor=colleague, review=review)
    add_data(police, hamlet_a, hamlet_b)
    text = pdf_text(built(review).pdf.read(), tmp_path)
    stated = assert_text_agrees(text, pdf_summary(text))
    assert stated["Tin báo tiếp nhận/2"] == 5  # as frozen, not the 6 of now
    assert review_state(review).data == review.snapshot


def _nominate(review: AnnualReview, police: User, party_office: User, target: Any, kind: str):
    nomination = services.commendation_nominate(
        actor=police, review=review, nominee_kind=kind, target=target, reason="Có thành tích."
    )
    services.commendation_decide(actor=party_office, commendation=nomination, approve=True)


def test_section_three_proposes_commendations_only_when_section_four_lists_some(
    review: AnnualReview, police: User, party_office: User, hamlet_a: Hamlet, tmp_path: Path
) -> None:
    text = " ".join(pdf_text(built(review).pdf.read(), tmp_path).split())
    section_3 = text.split("III. ĐỀ XUẤT, KIẾN NGHỊ", 1)[1]
    assert "khen thưởng" not in section_3
    section_4 = text.split("4. Đề nghị khen thưởng", 1)[1].split("5. Đánh giá chung", 1)[0]
    assert "Không có." in section_4
    _nominate(review, police, party_office, hamlet_a, Commendation.Nominee.HAMLET)
    _nominate(review, police, party_office, police, Commendation.Nominee.OFFICER)
    text = " ".join(pdf_text(built(review).pdf.read(), tmp_path).split())
    section_3 = text.split("III. ĐỀ XUẤT, KIẾN NGHỊ", 1)[1]
    assert "Đề nghị khen thưởng 1 tập thể và 1 cá nhân có thành tích xuất sắc nêu tại mục 4" in (
        section_3
    )


def test_the_documents_carry_the_reporters_word(review: AnnualReview, tmp_path: Path) -> None:
    """The feedback figures by hamlet and by category, in the three documents."""
    import openpyxl

    build = built(review)
    book = openpyxl.load_workbook(io.BytesIO(build.xlsx.read()))
    by_hamlet, by_category = book["Ý kiến theo ấp"], book["Ý kiến theo lĩnh vực"]
    rows = {row[0]: row for row in by_category.iter_rows(min_row=3, values_only=True)}
    # Crime: 2 resolved, 1 confirmed (50 %), 2 answered, none said unresolved, 4.5 / 5.
    assert rows["Tội phạm"][1:8] == (2, 1, 50.0, None, 2, 0, 4.5)
    assert rows["Toàn xã"][1:4] == (2, 1, 50.0)
    commune = [row for row in by_hamlet.iter_rows(min_row=3, values_only=True)][-1]
    assert commune[0] == "Toàn xã" and commune[7] == 3.3
    text = " ".join(pdf_text(build.pdf.read(), tmp_path).split())
    assert "Ý kiến của người báo về kết quả giải quyết theo ấp" in text
    assert "Ý kiến của người báo về kết quả giải quyết theo lĩnh vực" in text
    document = docx.Document(io.BytesIO(build.docx.read()))
    titles = [paragraph.text for paragraph in document.paragraphs]
    assert "Ý kiến của người báo về kết quả giải quyết theo lĩnh vực" in titles

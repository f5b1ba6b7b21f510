"""The bulletins section of the review: bulletins published by theme, postings on time / late /
missed at the edges of the due time and of the period (Asia/Ho_Chi_Minh), procedure questions
by procedure, the previous period beside them, the tables of the three documents, the narrative
and the "best posting record" suggestion; a query count independent of the data."""

from __future__ import annotations

import datetime
import io
import itertools
from typing import Any
from unittest import mock

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bulletins.models import Bulletin, Posting, ProcedureQuestion, Status, Theme
from bulletins.tests.factories import BulletinFactory, reach
from groups.models import Commune, Hamlet, ZaloGroup
from groups.tests.factories import ZaloGroupFactory
from reviews import services
from reviews.content import build_document, review_data
from reviews.documents import render_docx, render_xlsx
from reviews.figures import compute_figures
from reviews.models import Commendation, PeriodKind
from reviews.narrative import generate
from reviews.services import commendation_nominate, commendation_suggestions, review_create
from reviews.tests.factories import local
from reviews.tests.test_documents import PHONE_FORMS, docx_text

pytestmark = pytest.mark.django_db

# "Now" for these tests: after the period, so a posting still pending past its due time is
# missed whatever the machine's clock says.
AFTER = local(2027, 1, 15, 9)
_serial = itertools.count()


def _bulletin(author: User, published_at, *hamlets: Hamlet, **fields: Any) -> Bulletin:
    bulletin = BulletinFactory(
        author=author, status=Status.PUBLISHED, security_checked=True,
        published_at=published_at, **fields,
    )  # fmt: skip
    return reach(bulletin, *hamlets)


def posting(author: User, group: ZaloGroup, due, status="pending", posted=None, **fields):
    """One posting due at `due`, of a bulletin of its own published long before (2024), so that
    postings and bulletins are counted independently."""
    carrier = _bulletin(author, local(2024, 6, 1), title=f"Mang {next(_serial)}")
    return Posting.objects.create(
        bulletin=carrier, group=group, due_at=due, status=status, posted_at=posted,
        posted_by=author if posted else None, **fields,
    )  # fmt: skip


def world(police: User, hamlet_a: Hamlet, hamlet_b: Hamlet, other: Hamlet) -> dict[str, Any]:
    g_a = ZaloGroupFactory(hamlet=hamlet_a, admin_officer=police)
    g_b = ZaloGroupFactory(hamlet=hamlet_b)
    # Bulletins by the time they were published, in local time.
    _bulletin(police, local(2026, 1, 1), hamlet_a, hamlet_b, theme=Theme.CRIME_TRICKS)  # first
    _bulletin(police, local(2026, 12, 31, 23, 59, 59), hamlet_a, theme=Theme.CRIME_TRICKS)  # last
    _bulletin(police, local(2026, 7, 1), hamlet_b, theme=Theme.GOOD_DEEDS)
    _bulletin(police, local(2025, 12, 31, 23, 59, 59), hamlet_b, theme=Theme.FIRE_SAFETY)  # 2025
    _bulletin(police, local(2027, 1, 1), hamlet_a, theme=Theme.PROCEDURES)  # 2027
    BulletinFactory(author=police, theme=Theme.CRIME_TRICKS)  # a draft: never published
    outsider = User.objects.create_user(username="cand-x", commune=other.commune)
    _bulletin(outsider, local(2026, 5, 1), other, theme=Theme.CRIME_TRICKS)  # elsewhere
    due = local(2026, 3, 1, 8)
    posting(police, g_a, due, "posted", due)  # at the due time: on time
    posting(police, g_a, due, "posted", due + datetime.timedelta(seconds=1))  # a second late
    posting(police, g_a, local(2026, 4, 1), "skipped", local(2026, 4, 1), skip_reason="Sáp nhập")
    posting(police, g_a, local(2026, 5, 1))  # pending past its due time: missed
    posting(police, g_a, local(2026, 1, 1), "posted", local(2026, 1, 1))  # due at the start
    posting(police, g_a, local(2025, 12, 31, 23, 59, 59), "posted", local(2026, 1, 1, 1))  # 2025
    posting(police, g_a, local(2027, 1, 1))  # due in 2027: neither period
    last = local(2026, 12, 31, 23, 59, 59)
    posting(police, g_b, last, "posted", last)
    posting(police, g_b, local(2026, 6, 1))
    ProcedureQuestion.objects.bulk_create(
        [
            ProcedureQuestion(procedure="id_card", group=g_a, date=datetime.date(2026, 1, 1),
                              count=3, recorded_by=police),
            ProcedureQuestion(procedure="passport", group=g_b, date=datetime.date(2026, 12, 31),
                              count=2, recorded_by=police),
            ProcedureQuestion(procedure="id_card", group=g_a, date=datetime.date(2025, 12, 31),
                              count=4, recorded_by=police),
            ProcedureQuestion(procedure="residence", group=g_a, date=datetime.date(2027, 1, 1),
                              count=9, recorded_by=police),
        ]
    )  # fmt: skip
    return {"g_a": g_a, "g_b": g_b}


@pytest.fixture
def groups_2026(police, hamlet_a, hamlet_b, hamlet_elsewhere) -> dict[str, Any]:
    return world(police, hamlet_a, hamlet_b, hamlet_elsewhere)


@pytest.fixture
def section(commune: Commune, groups_2026) -> dict[str, Any]:
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        return compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)["sections"][
            "bulletins"
        ]


def themes(**counts: int) -> dict[str, int]:
    return {theme: counts.get(theme, 0) for theme in Theme.values}


def test_bulletins_published_by_theme(section, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now, before = section["current"], section["previous"]
    assert now["total"]["by_theme"] == themes(crime_tricks=2, good_deeds=1)
    assert now["total"]["published"] == 3  # a bulletin reaching two hamlets counts once
    assert now["by_hamlet"][str(hamlet_a.pk)]["by_theme"] == themes(crime_tricks=2)
    assert now["by_hamlet"][str(hamlet_b.pk)]["by_theme"] == themes(crime_tricks=1, good_deeds=1)
    assert before["total"]["by_theme"] == themes(fire_safety=1)
    assert before["by_hamlet"][str(hamlet_b.pk)]["published"] == 1
    assert before["by_hamlet"][str(hamlet_a.pk)]["published"] == 0


def test_postings_on_time_late_and_missed(section, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    keys = ("due", "on_time", "late", "missed", "pending", "on_time_rate")
    now, before = section["current"], section["previous"]
    a, b = now["by_hamlet"][str(hamlet_a.pk)], now["by_hamlet"][str(hamlet_b.pk)]
    assert {k: a[k] for k in keys} == {
        "due": 5, "on_time": 2, "late": 1, "missed": 2, "pending": 0, "on_time_rate": 40.0
    }  # fmt: skip
    assert {k: b[k] for k in keys} == {
        "due": 2, "on_time": 1, "late": 0, "missed": 1, "pending": 0, "on_time_rate": 50.0
    }  # fmt: skip
    assert {k: now["total"][k] for k in keys} == {
        "due": 7, "on_time": 3, "late": 1, "missed": 3, "pending": 0, "on_time_rate": 42.9
    }  # fmt: skip
    old = before["by_hamlet"][str(hamlet_a.pk)]
    assert (old["due"], old["late"], old["on_time_rate"]) == (1, 1, 0.0)
    assert before["by_hamlet"][str(hamlet_b.pk)]["on_time_rate"] is None  # nothing due


def test_a_pending_posting_not_yet_due_is_not_missed(commune: Commune, groups_2026) -> None:
    with mock.patch("django.utils.timezone.now", return_value=local(2026, 5, 15)):
        total = compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)["sections"][
            "bulletins"
        ]["current"]["total"]
    # On 15/05 the skipped one and the one due 01/05 are missed; the one due 01/06 is not yet.
    assert (total["missed"], total["pending"]) == (2, 1)


def test_procedure_questions_by_procedure(section, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now, before = section["current"], section["previous"]
    assert now["total"]["questions"] == 5
    assert now["total"]["by_procedure"]["id_card"] == 3
    assert now["total"]["by_procedure"]["passport"] == 2
    assert now["total"]["by_procedure"]["residence"] == 0  # 01/01/2027: next year
    assert now["by_hamlet"][str(hamlet_a.pk)]["questions"] == 3
    assert now["by_hamlet"][str(hamlet_b.pk)]["by_procedure"]["passport"] == 2
    assert before["total"]["by_procedure"]["id_card"] == 4


def test_the_circular_124_window(commune: Commune, groups_2026) -> None:
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        figures = compute_figures(commune, kind=PeriodKind.RESIDENTIAL_AREA, year=2026)
    total = figures["sections"]["bulletins"]["current"]["total"]
    # 01/11/2025–31/10/2026: the 31/12/2025 bulletin and posting are in, the 31/12/2026 out.
    assert total["by_theme"] == themes(crime_tricks=1, good_deeds=1, fire_safety=1)
    assert (total["due"], total["on_time"], total["late"], total["missed"]) == (7, 2, 2, 3)


def test_query_count_does_not_depend_on_the_data(
    commune: Commune, police: User, hamlet_a: Hamlet, groups_2026
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)
        return len(queries)

    small = count()
    for index in range(4):
        hamlet = Hamlet.objects.create(commune=commune, code=f"P{index}", name=f"Ấp P{index}")
        group = ZaloGroupFactory(hamlet=hamlet)
        _bulletin(police, local(2026, 3, index + 1), hamlet, hamlet_a, theme=Theme.FIRE_SAFETY)
        for day in range(1, 6):
            posting(police, group, local(2026, 2, day), "posted", local(2026, 2, day, 1))
        ProcedureQuestion.objects.create(
            procedure="vehicle", group=group, date=datetime.date(2026, 2, 1), recorded_by=police
        )
    assert count() == small


def test_the_documents_show_the_bulletin_tables(
    police: User, commune: Commune, hamlet_a: Hamlet, groups_2026
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        review = review_create(actor=police, commune=commune, year=2026)
        document = build_document(review_data(review))
    keys = [table.key for table in document.bulletins]
    assert keys == ["Bản tin theo chủ đề", "Đăng tin theo ấp", "Câu hỏi thủ tục"]
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(document)))
    for key in keys:
        assert key in workbook.sheetnames
    by_theme = {
        row[0]: row
        for row in workbook["Bản tin theo chủ đề"].iter_rows(min_row=3, values_only=True)
    }
    assert by_theme["Phương thức, thủ đoạn của tội phạm"][1:] == (0, 2)
    assert by_theme["Tổng cộng"][1:] == (1, 3)
    sheet = workbook["Đăng tin theo ấp"]
    assert sheet["A2"].value == "Ấp" and sheet["D2"].value == "Đúng hạn"
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[hamlet_a.name][2:6] == (5, 2, 1, 2)
    assert rows["Toàn xã"][2:8] == (7, 3, 1, 3, 0, 42.9)
    assert isinstance(rows["Toàn xã"][3], int)
    summary = {row[0]: row for row in workbook["Tổng hợp"].iter_rows(min_row=3, values_only=True)}
    assert summary["Bản tin đã phát hành"][1:3] == (1, 3)
    text = docx_text(render_docx(document))
    assert "Kết quả đăng tin trong các nhóm Zalo theo ấp" in text
    assert not PHONE_FORMS.search(text)


def test_an_old_snapshot_without_the_section_still_renders(
    police: User, commune: Commune, groups_2026
) -> None:
    review = review_create(actor=police, commune=commune, year=2026)
    data = review_data(review)
    del data["figures"]["sections"]["bulletins"]
    document = build_document(data)
    assert document.bulletins == []
    assert (
        "Bản tin theo chủ đề"
        not in openpyxl.load_workbook(io.BytesIO(render_xlsx(document))).sheetnames
    )


def test_the_narrative_mentions_the_postings(commune: Commune, groups_2026) -> None:
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        figures = compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)
    text = generate(figures, commune)
    assert "3 bản tin" in text["results"]
    assert "42,9%" in text["results"]
    assert "5 câu hỏi" in text["results"]
    assert "3 lượt đăng tin" in text["weaknesses"]


def test_the_best_posting_record_is_suggested(
    police: User, officer_a: User, commune: Commune, hamlet_a: Hamlet, hamlet_b: Hamlet,
    groups_2026, monkeypatch,
) -> None:  # fmt: skip
    steady = ZaloGroupFactory(hamlet=hamlet_b, name="Nhóm Chăm", admin_officer=officer_a)
    few = ZaloGroupFactory(hamlet=hamlet_b, name="Nhóm Ít")
    for day in range(1, 5):  # 4 of 4 on time, but under the minimum
        posting(police, few, local(2026, 8, day), "posted", local(2026, 8, day))
    for day in range(1, 6):  # 4 of 5 on time
        posted = local(2026, 9, day) + datetime.timedelta(hours=2 if day == 5 else 0)
        posting(police, steady, local(2026, 9, day), "posted", posted)
    monkeypatch.setattr(services, "BEST_POSTING_MINIMUM", 5)
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        review = review_create(actor=police, commune=commune, year=2026)
        figures = review_data(review)["figures"]
        found = commendation_suggestions(review, figures)
    records = [s for s in found if "đăng tin" in s["reason"]]
    by_kind = {str(s["kind"]): s for s in records}
    assert by_kind["zalo_group"]["target"] == steady  # 80 %: g_a has 40 %, "few" too few
    assert "4/5" in by_kind["zalo_group"]["reason"] or "4 trên 5" in by_kind["zalo_group"]["reason"]
    assert by_kind["officer"]["target"] == officer_a  # 80 % against police's 40 %
    commendation_nominate(
        actor=police, review=review, nominee_kind=Commendation.Nominee.ZALO_GROUP,
        target=steady, reason=by_kind["zalo_group"]["reason"], suggested=True,
    )  # fmt: skip
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        again = commendation_suggestions(review, figures)
    assert steady not in [s["target"] for s in again]  # nominated: not suggested again
    monkeypatch.setattr(services, "BEST_POSTING_MINIMUM", 50)
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        assert not [
            s for s in commendation_suggestions(review, figures) if "đăng tin" in s["reason"]
        ]

"""factory_boy factories for reviews, and `world_2026`: a small commune whose figures for 2026
(and 2025, the period before) are computed by hand in test_figures.py."""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

import factory
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.utils import timezone

from groups.models import Hamlet, ZaloGroup
from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.models import (
    Category,
    Channel,
    IncidentReport,
    Informant,
    ReportEvent,
    ReportFeedback,
    Status,
)
from reports.tests.factories import MARKER, IncidentReportFactory
from reviews.models import (
    AnnualReview,
    Commendation,
    ReviewBuild,
    SafetyAssessment,
    period_bounds,
)

# A phone planted on a member of the fixture: no document may contain it.
MEMBER_PHONE = "+84599777111"


class AnnualReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualReview

    year = 2026
    period_kind = "calendar"
    period_start = factory.LazyAttribute(lambda o: period_bounds(o.period_kind, o.year)[0])
    period_end = factory.LazyAttribute(lambda o: period_bounds(o.period_kind, o.year)[1])
    subject = "Sơ kết mô hình “Zalo kết nối bình yên” năm 2026"


class CommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commendation

    nominee_kind = Commendation.Nominee.HAMLET
    name = factory.LazyAttribute(lambda o: o.hamlet.name if o.hamlet else "Tập thể")
    reason = "Có nhiều tin báo có giá trị."


def local(*args: int) -> datetime.datetime:
    """An aware datetime in the portal's time zone (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.datetime(*args))


def _report(hamlet: Hamlet, created: datetime.datetime, **fields: Any) -> IncidentReport:
    return IncidentReportFactory(hamlet=hamlet, created_at=created, **fields)


def _event(report: IncidentReport, to_status: str, at: datetime.datetime) -> None:
    ReportEvent.objects.create(
        report=report, kind=ReportEvent.Kind.STATUS_CHANGED, to_status=to_status, created_at=at
    )


def _archive(group: ZaloGroup, at: datetime.datetime) -> None:
    """Archive through save(), so that auditlog records it, then date the record."""
    group.status = ZaloGroup.Status.ARCHIVED
    group.save()
    LogEntry.objects.get_for_object(group).order_by("-pk").update(timestamp=at)


def world_2026(hamlet_a: Hamlet, hamlet_b: Hamlet) -> dict[str, Any]:
    """The fixture of test_figures.py (the expected figures are written there)."""
    hamlet_a.households, hamlet_b.households = 10, 5
    Hamlet.objects.bulk_update([hamlet_a, hamlet_b], ["households"])
    g_a1 = ZaloGroupFactory(hamlet=hamlet_a, created_on=datetime.date(2025, 9, 1))
    g_a2 = ZaloGroupFactory(hamlet=hamlet_a, created_on=datetime.date(2026, 3, 1))
    g_b1 = ZaloGroupFactory(hamlet=hamlet_b, created_on=datetime.date(2025, 5, 1))
    ZaloGroupFactory(
        hamlet=hamlet_b, created_on=datetime.date(2026, 2, 1), status=ZaloGroup.Status.ARCHIVED
    )
    _archive(g_b1, local(2026, 6, 10, 8))
    d = datetime.date
    MemberFactory(group=g_a1, joined_on=d(2025, 10, 1), household="Số 1", phone=MEMBER_PHONE)
    MemberFactory(group=g_a1, joined_on=d(2026, 2, 1), household="Số 2")
    # Left in the middle of the year.
    MemberFactory(group=g_a1, joined_on=d(2025, 11, 1), left_on=d(2026, 7, 15), household="Số 3")
    MemberFactory(group=g_a1, joined_on=d(2026, 3, 1), household="số 1")  # the same household
    MemberFactory(group=g_a1, joined_on=d(2026, 4, 1), household="Số 9", role="security_team")
    # Joined and left within the year.
    MemberFactory(group=g_a2, joined_on=d(2026, 5, 1), left_on=d(2026, 9, 1), household="Số 4")
    MemberFactory(group=g_b1, joined_on=d(2025, 6, 1), household="Số 7")

    r1 = _report(
        hamlet_a,
        local(2026, 1, 10, 9),
        category=Category.CRIME,
        channel=Channel.PHONE,
        valuable_tip=True,
        solved_by_tip=True,
        status=Status.CLOSED,
        due_at=local(2026, 1, 17),
    )
    _event(r1, Status.RESOLVED, local(2026, 1, 12, 9))  # 48 h
    _event(r1, Status.CLOSED, local(2026, 1, 13, 9))
    Informant.objects.create(report=r1, name_encrypted=MARKER, phone_encrypted=MARKER)
    # Resolved, then reopened: not resolved, and overdue.
    r2 = _report(
        hamlet_a,
        local(2026, 3, 1),
        category=Category.SOCIAL_EVILS,
        channel=Channel.ANONYMOUS_TIP,
        valuable_tip=True,
        status=Status.HANDLING,
        due_at=local(2026, 3, 8),
        title=f"Tin báo {MARKER}",
    )
    _event(r2, Status.RESOLVED, local(2026, 3, 2))
    _event(r2, Status.HANDLING, local(2026, 3, 5))
    # Resolved, reopened, resolved again after the deadline: 240 h to the last resolution.
    r3 = _report(
        hamlet_a,
        local(2026, 5, 1),
        category=Category.CRIME,
        channel=Channel.ZALO_GROUP,
        status=Status.RESOLVED,
        due_at=local(2026, 5, 8),
    )
    _event(r3, Status.RESOLVED, local(2026, 5, 2))
    _event(r3, Status.HANDLING, local(2026, 5, 3))
    _event(r3, Status.RESOLVED, local(2026, 5, 11))
    # The last evening of 2025 (local time): the previous period's.
    _report(
        hamlet_a,
        local(2025, 12, 31, 23, 30),
        category=Category.CRIME,
        channel=Channel.PHONE,
        status=Status.CLOSED,
        due_at=local(2026, 1, 7),
    )
    _report(
        hamlet_b,
        local(2026, 6, 1),
        category=Category.FIRE,
        channel=Channel.IN_PERSON,
        status=Status.RECEIVED,
        due_at=local(2030, 1, 1),
    )
    _report(
        hamlet_b,
        local(2026, 2, 2),
        category=Category.DISPUTE,
        channel=Channel.ANONYMOUS_TIP,
        status=Status.TRANSFERRED,
        due_at=local(2026, 2, 9),
    )
    # The reporters' word: r1 confirmed (5/5); r2 said not resolved (1/5); r3 answered "partly"
    # twice, on each of its resolutions (the last one, 4/5, counts).
    for report, round_, resolved, satisfaction in (
        (r1, 1, "yes", 5),
        (r2, 1, "no", 1),
        (r3, 1, "partly", 2),
        (r3, 2, "partly", 4),
    ):
        ReportFeedback.objects.create(
            report=report, round=round_, resolved=resolved, satisfaction=satisfaction
        )
    SafetyAssessment.objects.create(hamlet=hamlet_a, year=2026, result="passed")
    SafetyAssessment.objects.create(hamlet=hamlet_b, year=2025, result="failed")
    return {"groups": [g_a1, g_a2, g_b1], "reports": [r1, r2, r3]}


@cache
def tiny_documents() -> dict[str, bytes]:
    """A valid PDF, DOCX and XLSX of one line, made once per process: for URL tests that need
    a build with files, not its content."""
    import io

    import docx
    import openpyxl
    from weasyprint import HTML

    word = docx.Document()
    word.add_paragraph("Bản thử")
    word_bytes, sheet_bytes = io.BytesIO(), io.BytesIO()
    word.save(word_bytes)
    book = openpyxl.Workbook()
    book.active.append(["Bản thử", 1])
    book.save(sheet_bytes)
    return {
        "pdf": HTML(string="<p>Bản thử</p>").write_pdf(),
        "docx": word_bytes.getvalue(),
        "xlsx": sheet_bytes.getvalue(),
    }


def build_with_files(review: AnnualReview, name: str) -> ReviewBuild:
    """A finished build of `review` whose three files are tiny_documents(), stored as `name`."""
    build = ReviewBuild.objects.create(
        review=review, status=ReviewBuild.Status.DONE, progress=100, finished_at=timezone.now()
    )
    for kind, content in tiny_documents().items():
        getattr(build, kind).save(f"test/{name}.{kind}", ContentFile(content), save=False)
    build.save()
    return build

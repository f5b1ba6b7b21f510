"""The triage queue's export: the reports it selects, as XLSX or CSV with Vietnamese headers.

The spreadsheet writers are every export's (binhyen/spreadsheets.py: formulas written as text,
CSV in UTF-8 with a byte order mark). The reporter's last word on the outcome is shown to who
reads what they wrote. There is no informant column, and nothing here reads the
Informant table: not even whether an identity was recorded is written. Each column and cell
is what reports/visibility.py lets the user who exports read.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation

from binhyen.spreadsheets import CSV_TYPE, XLSX_TYPE, table_csv, table_xlsx

from . import visibility
from .models import FeedbackAnswer, IncidentReport, ReportFeedback

if TYPE_CHECKING:
    from accounts.models import User

FORMATS: Final = ("xlsx", "csv")
# (header, the report field it shows (reports/visibility.py), width). Headers are Vietnamese
# whatever the interface language: files travel between people.
COLUMNS: Final = (
    ("Mã tin báo", "code", 16),
    ("Ấp", "hamlet", 18),
    ("Tổ nhân dân", "people_group", 16),
    ("Lĩnh vực", "category", 22),
    ("Tiêu đề", "title", 32),
    ("Nội dung", "description", 48),
    ("Thời điểm xảy ra", "occurred_at", 17),
    ("Địa điểm", "location", 24),
    ("Kênh tiếp nhận", "channel", 20),
    ("Nhóm Zalo", "zalo_group", 20),
    ("Mức độ", "urgency", 10),
    ("Trạng thái", "status", 18),
    ("Cán bộ xử lý", "assigned_to", 20),
    ("Hạn xử lý", "due_at", 17),
    ("Quá hạn", "is_overdue", 9),
    ("Tin có giá trị", "valuable_tip", 9),
    ("Phá án nhờ tin", "solved_by_tip", 9),
    ("Kết quả", "outcome", 32),
    ("Ngày tiếp nhận", "created_at", 17),
    ("Người lập", "filed_by", 20),
    ("Ngày đóng", "closed_at", 17),
    ("Người dân: đã giải quyết?", "residents_resolved", 24),
    ("Mức hài lòng (1–5)", "residents_satisfaction", 18),
)
# The reporter's word (their last answer) is read by who reads what they wrote.
_SAME_RULE_AS: Final = {
    "residents_resolved": "description",
    "residents_satisfaction": "description",
}
DATETIME_FORMAT: Final = "%d/%m/%Y %H:%M"


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime(DATETIME_FORMAT) if value else ""


def _yes(value: bool) -> str:
    return "Có" if value else "Không"


def _cells(r: IncidentReport, now: datetime.datetime) -> dict[str, object]:
    return {
        "code": r.code,
        "hamlet": r.hamlet.name,
        "people_group": r.people_group.name if r.people_group else "",
        "category": r.get_category_display(),
        "title": r.title,
        "description": r.description,
        "occurred_at": _when(r.occurred_at),
        "location": r.location,
        "channel": r.get_channel_display(),
        "zalo_group": r.zalo_group.name if r.zalo_group else "",
        "urgency": r.get_urgency_display(),
        "status": r.get_status_display(),
        "assigned_to": str(r.assigned_to) if r.assigned_to else "",
        "due_at": _when(r.due_at),
        "is_overdue": _yes(r.is_open and r.due_at is not None and r.due_at < now),
        "valuable_tip": _yes(r.valuable_tip),
        "solved_by_tip": _yes(r.solved_by_tip),
        "outcome": r.outcome,
        "created_at": _when(r.created_at),
        "filed_by": str(r.filed_by) if r.filed_by else "",
        "closed_at": _when(r.closed_at),
        "residents_resolved": (
            FeedbackAnswer(r.residents_resolved).label if r.residents_resolved else ""
        ),
        "residents_satisfaction": r.residents_satisfaction or "",
    }


def _rule(field: str) -> str:
    return _SAME_RULE_AS.get(field, field)


def _with_residents_word(reports: QuerySet[IncidentReport]) -> QuerySet[IncidentReport]:
    """Each report with its reporter's last answer (to its last resolution), if any."""
    last = ReportFeedback.objects.filter(report=OuterRef("pk")).order_by("-round")
    return reports.annotate(
        residents_resolved=Subquery(last.values("resolved")[:1]),
        residents_satisfaction=Subquery(last.values("satisfaction")[:1]),
    )


def columns_for(user: User) -> list[tuple[str, str, int]]:
    """The columns of the fields the user may read of some report (reports/visibility.py)."""
    fields = visibility.fields_for(user)
    return [column for column in COLUMNS if _rule(column[1]) in fields]


def export_rows(reports: QuerySet[IncidentReport], user: User) -> Iterator[list[object]]:
    """One row per report, in the queryset's order, with the columns_for(user); a field the
    user may not read of a row (another's report's text) is left empty. Vietnamese labels."""
    now = timezone.now()
    columns = [field for _header, field, _width in columns_for(user)]
    with translation.override("vi"):
        for report in _with_residents_word(reports).iterator(chunk_size=2000):
            readable = visibility.readable_fields(user, report)
            cells = _cells(report, now)
            yield [cells[field] if _rule(field) in readable else "" for field in columns]


def export_reports(
    reports: QuerySet[IncidentReport], fmt: str, *, user: User
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the reports in `fmt` ("xlsx" or "csv"), with
    what `user` may read of each."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    columns = columns_for(user)
    headers = [header for header, _field, _width in columns]
    rows = export_rows(reports, user)
    if fmt == "xlsx":
        widths = [width for _header, _field, width in columns]
        content = table_xlsx(headers, rows, title="Tin báo", widths=widths)
        return content, XLSX_TYPE, f"tin-bao-{stamp}.xlsx"
    if fmt == "csv":
        return table_csv(headers, rows), CSV_TYPE, f"tin-bao-{stamp}.csv"
    raise ValueError(f"Unknown export format: {fmt!r}")

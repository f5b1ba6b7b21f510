"""The triage queue's export: the reports it selects, as XLSX or CSV with Vietnamese headers.

The spreadsheet writers are the members' (groups/importing.py: formulas written as text, CSV in
UTF-8 with a byte order mark). There is no informant column, and nothing here reads the
Informant table: not even whether an identity was recorded is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Final

from django.db.models import QuerySet
from django.utils import timezone, translation

from groups.importing import CSV_TYPE, XLSX_TYPE, table_csv, table_xlsx

from .models import IncidentReport

FORMATS: Final = ("xlsx", "csv")
# Headers are Vietnamese whatever the interface language: files travel between people.
COLUMNS: Final = (
    "Mã tin báo",
    "Ấp",
    "Tổ nhân dân",
    "Lĩnh vực",
    "Tiêu đề",
    "Nội dung",
    "Thời điểm xảy ra",
    "Địa điểm",
    "Kênh tiếp nhận",
    "Nhóm Zalo",
    "Mức độ",
    "Trạng thái",
    "Cán bộ xử lý",
    "Hạn xử lý",
    "Quá hạn",
    "Tin có giá trị",
    "Phá án nhờ tin",
    "Kết quả",
    "Ngày tiếp nhận",
    "Người lập",
    "Ngày đóng",
)
WIDTHS: Final = (16, 18, 16, 22, 32, 48, 17, 24, 20, 20, 10, 18, 20, 17, 9, 9, 9, 32, 17, 20, 17)
DATETIME_FORMAT: Final = "%d/%m/%Y %H:%M"


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime(DATETIME_FORMAT) if value else ""


def _yes(value: bool) -> str:
    return "Có" if value else "Không"


def export_rows(reports: QuerySet[IncidentReport]) -> Iterator[list[object]]:
    """One row per report, in the queryset's order. Labels are the Vietnamese ones."""
    now = timezone.now()
    with translation.override("vi"):
        for r in reports.iterator(chunk_size=2000):
            overdue = r.is_open and r.due_at is not None and r.due_at < now
            yield [
                r.code,
                r.hamlet.name,
                r.people_group.name if r.people_group else "",
                r.get_category_display(),
                r.title,
                r.description,
                _when(r.occurred_at),
                r.location,
                r.get_channel_display(),
                r.zalo_group.name if r.zalo_group else "",
                r.get_urgency_display(),
                r.get_status_display(),
                str(r.assigned_to) if r.assigned_to else "",
                _when(r.due_at),
                _yes(overdue),
                _yes(r.valuable_tip),
                _yes(r.solved_by_tip),
                r.outcome,
                _when(r.created_at),
                str(r.filed_by) if r.filed_by else "",
                _when(r.closed_at),
            ]


def export_reports(reports: QuerySet[IncidentReport], fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the reports in `fmt` ("xlsx" or "csv")."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    rows = export_rows(reports)
    if fmt == "xlsx":
        content = table_xlsx(COLUMNS, rows, title="Tin báo", widths=WIDTHS)
        return content, XLSX_TYPE, f"tin-bao-{stamp}.xlsx"
    if fmt == "csv":
        return table_csv(COLUMNS, rows), CSV_TYPE, f"tin-bao-{stamp}.csv"
    raise ValueError(f"Unknown export format: {fmt!r}")

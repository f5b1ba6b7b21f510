"""Fixtures for the member import and export tests: a small register and spreadsheet files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

import openpyxl
import pytest

from groups.importing import COLUMNS
from groups.models import Hamlet
from groups.tests.factories import PeopleGroupFactory, ZaloGroupFactory

Spreadsheet = Callable[..., tuple[bytes, str]]


@pytest.fixture
def register(hamlet_a: Hamlet, hamlet_b: Hamlet) -> dict:
    """A group in hamlet A with a people's group, and a group in hamlet B."""
    return {
        "group_a": ZaloGroupFactory(hamlet=hamlet_a, code="nhom-a"),
        "group_b": ZaloGroupFactory(hamlet=hamlet_b, code="nhom-b"),
        "to_1": PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 1"),
    }


def _xlsx(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _csv(
    header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str, bom: bool
) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + output.getvalue()).encode("utf-8")


@pytest.fixture
def spreadsheet() -> Spreadsheet:
    """spreadsheet(rows, fmt="xlsx"|"csv", header=..., delimiter=",", bom=True) returns
    (content, file name). Rows are lists in the order of `header` (all columns by default)."""

    def make(
        rows: Sequence[Sequence[object]],
        fmt: str = "xlsx",
        header: Sequence[str] = tuple(COLUMNS.values()),
        delimiter: str = ",",
        bom: bool = True,
    ) -> tuple[bytes, str]:
        if fmt == "xlsx":
            return _xlsx(header, rows), "thanh-vien.xlsx"
        return _csv(header, rows, delimiter, bom), "thanh-vien.csv"

    return make

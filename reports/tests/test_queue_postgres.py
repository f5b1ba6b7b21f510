"""The triage queue's sorts and search read indexes on PostgreSQL (bench/reports_scale.py shows
the effect on 200,000 reports; here, that the plans can use them at all)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from accounts.models import User
from groups.models import Hamlet
from reports.forms import QueueFilterForm
from reports.models import IncidentReport
from reports.tests.factories import IncidentReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.needs_postgres]


def plan(user: User, query: str) -> str:
    form = QueueFilterForm(QueryDict(query), user=user)
    queryset = form.selection(IncidentReport.objects.visible_to(user))[:26]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask what it could use
        cursor.execute("SET LOCAL enable_sort = off")
    return queryset.explain()


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("status=all&sort=status", "report_status_rank_idx"),
        ("sort=urgency", "report_urgency_idx"),
        ("status=all&sort=due", "report_due_idx"),
    ],
)
def test_the_queue_reads_its_indexes(police: User, hamlet_a: Hamlet, query: str, index: str):
    IncidentReportFactory.create_batch(5, hamlet=hamlet_a)
    assert index in plan(police, query)


def test_the_search_column_has_a_trigram_index() -> None:
    """Whether the planner reads it depends on the table's size and the words' rarity: the
    bench's "queue search" shows it on 200,000 reports."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'report_search_trgm'")
        [(definition,)] = cursor.fetchall()
    assert "USING gin (search_text gin_trgm_ops)" in definition


def test_the_open_queue_is_counted_from_the_open_reports_index(police: User, hamlet_a: Hamlet):
    """The count on every request of the default queue reads only the open reports."""
    IncidentReportFactory.create_batch(5, hamlet=hamlet_a)
    form = QueueFilterForm(QueryDict(""), user=police)
    queryset = form.selection(IncidentReport.objects.visible_to(police)).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    assert "report_open_idx" in queryset.values("pk").explain()

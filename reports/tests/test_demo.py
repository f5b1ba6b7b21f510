"""The demo reports: a year of every category, channel, status and hamlet, consistent codes and
timelines, some urgent, overdue and with sealed informants."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from groups.models import Hamlet
from reports.models import (
    Category,
    Channel,
    IncidentReport,
    Informant,
    ReportCounter,
    ReportEvent,
    ReportFeedback,
    Status,
    TipAccess,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_year_of_consistent_reports() -> None:
    call_command("seed_demo", verbosity=0)
    reports = IncidentReport.objects.all()
    assert 300 <= reports.count() <= 600
    assert set(reports.values_list("category", flat=True)) == set(Category.values)
    assert set(reports.values_list("channel", flat=True)) == set(Channel.values)
    assert set(reports.values_list("status", flat=True)) == set(Status.values)
    assert set(reports.values_list("hamlet", flat=True)) == set(
        Hamlet.objects.values_list("pk", flat=True)
    )
    assert reports.filter(urgency="urgent").exists() and reports.overdue().exists()
    assert 20 <= Informant.objects.count() <= 150
    # Codes: gap-free per year, and the counters agree (the next filing continues from them).
    for counter in ReportCounter.objects.all():
        codes = sorted(
            reports.filter(code__startswith=f"TB-{counter.year}-").values_list("code", flat=True)
        )
        assert codes == [f"TB-{counter.year}-{n:05d}" for n in range(1, counter.last + 1)]
    # Every report has its creation event; every status other than "received" its change.
    assert ReportEvent.objects.filter(kind="created").count() == reports.count()
    for report in reports.exclude(status="received")[:50]:
        assert report.events.filter(kind="status_changed", to_status=report.status).exists()
    assert not reports.filter(status="closed", closed_at__isnull=True).exists()
    assert reports.filter(search_text__contains="trom").exists()
    # Anonymous tips as the public page files them: no filer, a code's hash, one answered.
    tips = TipAccess.objects.select_related("report")
    assert tips.count() >= 3
    assert all(t.report.filed_by_id is None and len(t.code_hash) >= 32 for t in tips)
    assert tips.exclude(public_reply="").count() == 1
    # The residents' word: hamlet heads on their resolved reports, a tipster with the code;
    # each answer on the shared timeline, and every "no" reopened its report once.
    answers = ReportFeedback.objects.select_related("report", "event")
    assert answers.count() >= 30
    assert set(answers.values_list("resolved", flat=True)) == {"yes", "partly", "no"}
    assert answers.filter(author=None, report__channel="anonymous_tip").count() == 1
    assert all(a.event.shared and a.event.kind == "feedback" for a in answers)
    for answer in answers.filter(resolved="no"):
        assert answer.reopened and answer.report.status == "handling"
    call_command("seed_demo", verbosity=0)  # idempotent
    assert IncidentReport.objects.count() == reports.count()

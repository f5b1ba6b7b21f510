"""The reporters' word on the outcome, counted: what the dashboards and the yearly review report
(the share of resolved reports the reporter confirmed, the average satisfaction), from one
definition, so that the two never count differently.

Each report counts with its last answer (ReportFeedback with the highest round): after a
reopening and a new resolution, the new answer replaces the old one. Only counts and sums leave
the database, never a comment.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from binhyen.numbers import share

from .models import (
    FEEDBACK_STATUSES,
    OPEN_STATUSES,
    FeedbackAnswer,
    IncidentReport,
    ReportEvent,
    ReportFeedback,
    Status,
)

# The counts of a group of reports; all additive, so groups can be summed.
COUNTS = ("resolved", "confirmed", "answered", "said_unresolved", "satisfaction_sum")


def resolved() -> Q:
    """A report counted as resolved: now resolved or closed, after a resolution (a report closed
    as unfounded or transferred was not resolved, and a reopened one is not, until resolved
    again). The review's definition (reviews.figures.report_figures)."""
    resolutions = ReportEvent.objects.filter(report=OuterRef("pk"), to_status=Status.RESOLVED)
    return Q(status__in=[Status.RESOLVED, Status.CLOSED]) & Q(Exists(resolutions))


def with_last_answer(reports: QuerySet[IncidentReport]) -> QuerySet[IncidentReport]:
    """`reports` with each one's last answer (`last_answer`, `last_satisfaction`; None if
    unanswered)."""
    last = ReportFeedback.objects.filter(report=OuterRef("pk")).order_by("-round")
    return reports.annotate(
        last_answer=Subquery(last.values("resolved")[:1]),
        last_satisfaction=Subquery(last.values("satisfaction")[:1]),
    )


def counts(within: Q | None = None) -> dict[str, Any]:
    """The aggregates of COUNTS over the reports matching `within`, for a queryset from
    with_last_answer(): resolved ones, of them confirmed ("yes"), answered, said not resolved
    ("no"), and the sum of the satisfaction of the answers."""
    within = within if within is not None else Q()
    done = resolved()
    return {
        "resolved": Count("pk", filter=within & done),
        "confirmed": Count("pk", filter=within & done & Q(last_answer=FeedbackAnswer.YES)),
        "answered": Count("pk", filter=within & Q(last_answer__isnull=False)),
        "said_unresolved": Count("pk", filter=within & Q(last_answer=FeedbackAnswer.NO)),
        "satisfaction_sum": Coalesce(Sum("last_satisfaction", filter=within), 0),
    }


def zero() -> dict[str, Any]:
    return dict.fromkeys(COUNTS, 0)


def add(total: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    for key in COUNTS:
        total[key] += row[key]
    return total


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    """`row` with `confirmed_share` (confirmed / resolved, in %) and `satisfaction` (the mean
    of the answers, 1–5, to one decimal); None where there is nothing to divide."""
    row["confirmed_share"] = share(row["confirmed"], row["resolved"])
    row["satisfaction"] = (
        round(row["satisfaction_sum"] / row["answered"], 1) if row["answered"] else None
    )
    return row


RESIDENTS_UNRESOLVED, RESIDENTS_PARTLY, RESIDENTS_ANSWERED = "unresolved", "partly", "answered"


def residents_say(reports: QuerySet[IncidentReport], value: str) -> QuerySet[IncidentReport]:
    """The reports whose reporter's last answer says `value` (unresolved: "no"; partly), or
    that have any answer (answered): the queue's filter and the API's."""
    last = ReportFeedback.objects.latest_per_report()
    if value == RESIDENTS_UNRESOLVED:
        last = last.filter(resolved=FeedbackAnswer.NO)
    elif value == RESIDENTS_PARTLY:
        last = last.filter(resolved=FeedbackAnswer.PARTLY)
    return reports.filter(pk__in=last.values("report_id"))


def awaiting(reports: list[IncidentReport]) -> set[int]:
    """The ids of `reports` whose reporter may answer now (services.feedback_awaited for many:
    resolved or closed, and no answer to their last resolution), in two queries."""
    done = [report.pk for report in reports if report.status in FEEDBACK_STATUSES]
    if not done:
        return set()
    reopenings = dict(
        ReportEvent.objects.filter(
            report_id__in=done,
            kind=ReportEvent.Kind.STATUS_CHANGED,
            from_status__in=FEEDBACK_STATUSES,
            to_status__in=OPEN_STATUSES,
        )
        .order_by()
        .values("report_id")
        .annotate(n=Count("pk"))
        .values_list("report_id", "n")
    )
    answered = dict(
        ReportFeedback.objects.filter(report_id__in=done)
        .order_by()
        .values("report_id")
        .annotate(last=Max("round"))
        .values_list("report_id", "last")
    )
    return {pk for pk in done if answered.get(pk, 0) < reopenings.get(pk, 0) + 1}

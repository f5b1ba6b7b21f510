"""Who may read what of an incident report: the one policy of the report page, the API, the
queue's export, the notifications and the map (reports/maps.py).

Scope comes first and is not decided here: a report out of `IncidentReport.objects.visible_to`
is not found at all. Of a report in scope, a user reads three groups of fields, decided by
permissions (never by a role's name):

- FIGURES, with `reports.view_incidentreport`: which report, where, what kind, how it came in,
  its status and dates. What the review's figures are made of; nothing a person wrote.
- AS_FILED, the report's text: what the filer wrote (title, description, place, coordinates),
  who filed it, whether an informant was recorded, its timeline and files. For whoever can
  triage (`reports.triage_report`), and for whoever filed that report. A hamlet head does not
  read the text of the other reports of their hamlet: a neighbour's report or an anonymous tip
  (whose text may carry the tipster's name or phone, as the tip form invites) names people the
  hamlet head lives among. Nor do the party office and the leaders: they get the figures.
- HANDLING, with `reports.triage_report`: the assignee, the deadline, the outcome (free text
  that may name who helped: "arrested thanks to the neighbour at no. 12").
- REVIEW_MARKS, with `reports.triage_report` (who records them) or `reviews.view_annualreview`
  (who reads the yearly review, whose figures they are): whether the tip was valuable and
  solved the case. The leadership's dashboard lists the reports behind those figures.

An anonymous tip has no filer, so its text and its tipster's later additions reach only those
who triage. Names are the API's field names; a name in no group is never readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    from .models import IncidentReport

VIEW = "reports.view_incidentreport"
TRIAGE = "reports.triage_report"

FIGURES = frozenset(
    {
        "id",
        "code",
        "commune",
        "hamlet",
        "category",
        "channel",
        "urgency",
        "status",
        "created_at",
        "updated_at",
        "closed_at",
        # Where the map draws it (reports/maps.py): rounded to about 110 m unless the reader
        # reads the coordinates as filed (AS_FILED), always rounded for an anonymous tip.
        "point",
    }
)
AS_FILED = frozenset(
    {
        "title",
        "description",
        "people_group",
        "occurred_at",
        "location",
        "latitude",
        "longitude",
        "zalo_group",
        "filed_by",
        "has_informant",
        "timeline",
        "attachments",
    }
)
HANDLING = frozenset({"assigned_to", "due_at", "is_overdue", "outcome"})
REVIEW_MARKS = frozenset({"valuable_tip", "solved_by_tip"})
REVIEW = "reviews.view_annualreview"
NOTHING: frozenset[str] = frozenset()


def fields_for(user: User | AnonymousUser) -> frozenset[str]:
    """Every field the user may read of some report in scope (with the text of the reports they
    filed): the columns of an export, what a notification sent to them may say."""
    if not user.is_active or not user.has_perm(VIEW):
        return NOTHING
    if user.has_perm(TRIAGE):
        return FIGURES | AS_FILED | HANDLING | REVIEW_MARKS
    if user.has_perm(REVIEW):
        return FIGURES | AS_FILED | REVIEW_MARKS
    return FIGURES | AS_FILED


def may_read_text(user: User | AnonymousUser, report: IncidentReport) -> bool:
    """Whether the user reads what was written on this report (in scope) and its timeline."""
    if not user.is_active or not user.has_perm(VIEW):
        return False
    return user.has_perm(TRIAGE) or (
        report.filed_by_id is not None and report.filed_by_id == user.pk
    )


def readable_fields(user: User | AnonymousUser, report: IncidentReport) -> frozenset[str]:
    """The fields of this report (in the user's scope) that the user may read."""
    fields = fields_for(user)
    if not may_read_text(user, report):
        fields -= AS_FILED
    return fields


def with_text(user: User | AnonymousUser, reports: QuerySet) -> QuerySet:
    """The reports of `reports` whose text the user may read (the SQL form of may_read_text)."""
    if not user.is_active or not user.has_perm(VIEW):
        return reports.none()
    if user.has_perm(TRIAGE):
        return reports
    return reports.filter(filed_by_id=user.pk)


def readable_rows(user: User | AnonymousUser, reports: QuerySet, field: str) -> QuerySet:
    """The reports of `reports` of which the user may read `field`: a filter or an order on a
    field may only look at those rows, or it would answer what the field holds."""
    if field not in fields_for(user):
        return reports.none()
    if field in AS_FILED:
        return with_text(user, reports)
    return reports

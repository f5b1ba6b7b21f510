"""Who is told about reports, and what the message says (sent by accounts.notification_send).

Who:
- **A new report** goes to the *area officers of its hamlet*: active users of the report's
  commune who can triage (reports.triage_report) and have the hamlet among their own hamlets
  (User.hamlets). Commune-wide police are not told of every report: they have the queue. Only
  when the hamlet has no area officer does the message go to everyone who can triage the whole
  commune (the commune police), so that no report goes unannounced. Whoever filed the report is
  not told about it. Urgent and normal reports alike are sent at once, in the app and by e-mail:
  an area officer has a few hamlets and a few reports a day, and a batch would only delay them;
  urgent ones say so first in the title.
- **The daily digest of overdue reports** goes to the *commune police lead*: active users of the
  commune with reports.view_informantreveal, the permission that lets them read the reveal log
  (accounts/roles.py gives it to the commune police role; a commune that names one lead grants
  it to that person only). Nothing is sent on a day without overdue reports.
- **A reply or a change of status** goes to *whoever filed the report* (a hamlet head), when
  someone else comments on it for them (a shared comment; internal notes never) or moves it
  along the workflow, while the report is still in their scope. Anonymous tips have no filer.
- **A report reopened by its reporter** (a "no" to "was it resolved?", services.record_feedback)
  goes to the officer it is assigned to, while they may still triage it, else to those a new
  report of its hamlet goes to: the police decide what happens next, and a reopened report
  waits in the queue like a new one.

What: a notification says *which* report (its code), what kind, where, how urgent, how it came
in and when it is due — never its title, description, informant or, for a tip, its tracking
code. It goes only to users who may read every field it shows (reports/visibility.py): the
digest, which shows the deadlines and assignees, reaches no lead who cannot triage. Titles
and descriptions are free text that a filer may fill with names; e-mail leaves the portal.
The officer reads the report in the portal, where access is checked and logged.
Texts are written in the commune's language (settings.LANGUAGE_CODE): they are stored.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from groups.access import users_in_commune
from groups.models import Commune

from . import visibility
from .models import IncidentReport, ReportEvent, Status, Urgency

KIND_NEW_REPORT = "report_new"
KIND_OVERDUE_DIGEST = "report_overdue_digest"
KIND_REPLY = "report_reply"
KIND_STATUS = "report_status"
KIND_REOPENED = "report_reopened"
DIGEST_MAX_LINES = 50
# The report fields (reports/visibility.py) each message shows; the figures and the deadline
# for a new report, and the handling for the digest of the overdue ones.
NEW_REPORT_FIELDS = frozenset({"code", "category", "hamlet", "urgency", "channel", "created_at",
                               "due_at"})  # fmt: skip
DIGEST_FIELDS = frozenset({"code", "hamlet", "category", "status", "due_at", "is_overdue",
                           "assigned_to"})  # fmt: skip
FILER_FIELDS = frozenset({"code", "category", "hamlet", "status"})


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str


def may_read(users: Iterable[User], fields: frozenset[str]) -> list[User]:
    """Those of `users` who may read every field a message carries (reports/visibility.py):
    a message never tells anyone what their report page would not show them."""
    return [user for user in users if fields <= visibility.fields_for(user)]


def _holding(users: QuerySet[User], perm: str) -> QuerySet[User]:
    """Narrow `users` in SQL to those who may hold `perm` (through a role, directly, or as
    superuser), so that has_perm, which decides, runs on a few users, not the whole commune."""
    app_label, codename = perm.split(".")
    grants = Q(content_type__app_label=app_label, codename=codename)
    perms = Permission.objects.filter(grants)
    return users.filter(
        Q(is_superuser=True) | Q(groups__permissions__in=perms) | Q(user_permissions__in=perms)
    ).distinct()


def _can_triage_the_commune(user: User) -> bool:
    return user.has_perm("reports.triage_report") and user.has_perm("groups.view_all_hamlets")


def new_report_recipients(report: IncidentReport) -> list[User]:
    """The area officers of the report's hamlet, else the commune's police (module docstring)."""
    people = users_in_commune(report.commune_id)
    triage = _holding(people, "reports.triage_report").order_by("pk")
    officers = [
        user
        for user in triage.filter(pk__in=people.filter(hamlets=report.hamlet_id).values("pk"))
        if user.has_perm("reports.triage_report")
    ]
    chosen = officers or [user for user in triage if _can_triage_the_commune(user)]
    return [user for user in may_read(chosen, NEW_REPORT_FIELDS) if user.pk != report.filed_by_id]


def filer_news() -> Q:
    """The events whose filer is told (module docstring), as a filter of ReportEvent: the
    services enqueue these, and the periodic scan finds those whose task was lost."""
    return (
        (Q(kind=ReportEvent.Kind.STATUS_CHANGED) | Q(kind=ReportEvent.Kind.COMMENT, shared=True))
        & Q(report__filed_by__isnull=False, actor__isnull=False)
        & ~Q(actor=F("report__filed_by"))
    )


def reopenings() -> Q:
    """The reporter's answers that reopened their report (the feedback's event), as a filter of
    ReportEvent: news for the police."""
    return Q(kind=ReportEvent.Kind.FEEDBACK, feedback__reopened=True)


def event_news() -> Q:
    """Every event somebody is told about: the filer's news and the reporter's reopenings."""
    return filer_news() | reopenings()


def tells_police(event: ReportEvent) -> bool:
    """reopenings() for one event in hand."""
    feedback = getattr(event, "feedback", None) if event.kind == ReportEvent.Kind.FEEDBACK else None
    return feedback is not None and feedback.reopened


def tells_filer(event: ReportEvent) -> bool:
    """filer_news() for one event in hand."""
    filer_id = event.report.filed_by_id
    if filer_id is None or event.actor_id is None or event.actor_id == filer_id:
        return False
    return event.kind == ReportEvent.Kind.STATUS_CHANGED or (
        event.kind == ReportEvent.Kind.COMMENT and event.shared
    )


def filer_recipients(event: ReportEvent) -> list[User]:
    """The filer of the event's report, if the event is news for them and the report is still
    in their scope (module docstring)."""
    report = event.report
    if not tells_filer(event) or report.filed_by is None:
        return []
    filer = report.filed_by
    if not IncidentReport.objects.visible_to(filer).filter(pk=report.pk).exists():
        return []
    return may_read([filer], FILER_FIELDS)


def reopening_recipients(event: ReportEvent) -> list[User]:
    """Whom a report reopened by its reporter is told to (module docstring)."""
    if not tells_police(event):
        return []
    report = event.report
    officer = report.assigned_to
    if (
        officer is not None
        and officer.is_active
        and officer.has_perm("reports.triage_report")
        and IncidentReport.objects.visible_to(officer).filter(pk=report.pk).exists()
    ):
        return may_read([officer], NEW_REPORT_FIELDS)
    return new_report_recipients(report)


def police_leads(commune: Commune | int) -> list[User]:
    """Who gets the overdue digest of a commune (module docstring)."""
    commune_id = commune if isinstance(commune, int) else commune.pk
    people = users_in_commune(commune_id)
    leads = _holding(people, "reports.view_informantreveal").order_by("pk")
    leads = [user for user in leads if user.has_perm("reports.view_informantreveal")]
    return may_read(leads, DIGEST_FIELDS)


def report_url(report: IncidentReport) -> str:
    return reverse("reports:report-detail", args=[report.pk])


def queue_url() -> str:
    return reverse("reports:report-list") + "?overdue=yes"


def _when(moment: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "d/m/Y H:i") if moment else "—"


def new_report_message(report: IncidentReport) -> Message:
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "code": report.code,
            "category": report.get_category_display(),
            "hamlet": report.hamlet.name,
        }
        if report.urgency == Urgency.URGENT:
            title = _("URGENT report %(code)s: %(category)s, %(hamlet)s") % values
        else:
            title = _("New report %(code)s: %(category)s, %(hamlet)s") % values
        lines = [
            _("Hamlet: %(hamlet)s") % values,
            _("Category: %(category)s") % values,
            _("Urgency: %(urgency)s") % {"urgency": report.get_urgency_display()},
            _("Received by: %(channel)s") % {"channel": report.get_channel_display()},
            _("Received at: %(at)s") % {"at": _when(report.created_at)},
            _("Due: %(at)s") % {"at": _when(report.due_at)},
            "",
            _("Read and handle it in the portal."),
        ]
    return Message(title=title, body="\n".join(lines), url=report_url(report))


def filer_message(event: ReportEvent) -> Message:
    """What the filer is told of a reply or a change of status: which report and, for a change,
    its new status; never the comment or the report's text (read in the portal)."""
    report = event.report
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "code": report.code,
            "category": report.get_category_display(),
            "hamlet": report.hamlet.name,
        }
        if event.kind == ReportEvent.Kind.STATUS_CHANGED:
            status = Status(event.to_status).label if event.to_status in Status.values else ""
            title = _("Your report %(code)s is now “%(status)s”") % {**values, "status": status}
            news = _("The police changed the status of your report to “%(status)s”.") % {
                "status": status
            }
        else:
            title = _("Reply to your report %(code)s: %(category)s, %(hamlet)s") % values
            news = _("The police replied to your report.")
        lines = [
            news,
            "",
            _("Hamlet: %(hamlet)s") % values,
            _("Category: %(category)s") % values,
            "",
            _("Read it in the portal."),
        ]
    return Message(title=str(title), body="\n".join(lines), url=report_url(report))


def reopening_message(event: ReportEvent) -> Message:
    """What the police are told when a reporter says their report was not resolved: which
    report, never the reporter's comment (read in the portal, beside the report)."""
    report = event.report
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "code": report.code,
            "category": report.get_category_display(),
            "hamlet": report.hamlet.name,
        }
        title = _("Report %(code)s reopened: the reporter says it was not resolved") % values
        lines = [
            _("Hamlet: %(hamlet)s") % values,
            _("Category: %(category)s") % values,
            _("Due: %(at)s") % {"at": _when(report.due_at)},
            "",
            _("Read the reporter's answer and decide in the portal."),
        ]
    return Message(title=title, body="\n".join(lines), url=report_url(report))


def overdue_digest_message(
    commune: Commune, reports: Iterable[IncidentReport], *, now: datetime.datetime
) -> Message:
    """`reports`: the commune's overdue reports, oldest due first (with hamlet, assignee)."""
    reports = list(reports)
    shown = reports[:DIGEST_MAX_LINES]
    with translation.override(settings.LANGUAGE_CODE):
        title = ngettext(
            "%(count)d overdue report in %(commune)s",
            "%(count)d overdue reports in %(commune)s",
            len(reports),
        ) % {"count": len(reports), "commune": commune.name}
        lines = [
            _("Reports past their due date on %(date)s:")
            % {"date": date_format(timezone.localdate(now), "d/m/Y")},
            "",
        ]
        for report in shown:
            lines.append(
                _("%(code)s · %(hamlet)s · %(category)s · %(status)s · due %(due)s · %(assignee)s")
                % {
                    "code": report.code,
                    "hamlet": report.hamlet.name,
                    "category": report.get_category_display(),
                    "status": report.get_status_display(),
                    "due": _when(report.due_at),
                    "assignee": str(report.assigned_to) if report.assigned_to else _("unassigned"),
                }
            )
        if len(reports) > len(shown):
            lines.append(_("… and %(count)d more.") % {"count": len(reports) - len(shown)})
    return Message(title=title, body="\n".join(lines), url=queue_url())

"""HTML pages of incident reports: filing, the hamlet head's list, the police's triage queue and
report page, attachments, the export, and the informant's reveal and its log.

Every page starts from a scoped queryset (`visible_to`): another hamlet's report is a 404, like
one that does not exist; in scope without the permission is a 403. Writes call the services in
reports/services.py, which check permission and scope again. The informant's identity is read
in one place only, `informant_reveal_page`, after a reason, and never cached.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import WhoCan, roles_with
from binhyen.files import download_response, private_file_response
from binhyen.page_cache import Drawn, cached_part
from binhyen.pagination import CappedCountPaginator
from binhyen.permissions import require_perm
from groups.access import hamlets_for
from groups.models import Hamlet

from . import exports, feedback, maps, visibility
from .filters import IncidentReportFilter
from .forms import (
    AssignForm,
    AttachmentForm,
    BulkAssignForm,
    CommentForm,
    FeedbackForm,
    OutcomeForm,
    QueueFilterForm,
    ReportForm,
    RevealForm,
    TransitionForm,
)
from .models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Channel,
    FeedbackAnswer,
    IncidentReport,
    Informant,
    InformantReveal,
    ReportEvent,
    ReportFeedback,
    Status,
    Urgency,
)
from .officers import TOPIC as PEOPLE_TOPIC
from .officers import triagers_for
from .pending import (
    PendingUpload,
    pending_files,
    pending_forget,
    pending_keep,
    pending_list,
)
from .services import (
    REPORTS_TOPIC,
    attachment_add,
    feedback_awaited,
    informant_identity,
    informant_reveal_log,
    may_give_feedback,
    report_assign,
    report_comment,
    report_feedback_give,
    report_file_once,
    report_record_outcome,
    report_transition,
)

QUEUE_PAGE_SIZE = 25
# What templates/reports/incidentreport_queue.html shows of a report (is_overdue reads the
# status and the deadline); a column missing here would be read row by row, which the query
# count tests catch.
QUEUE_COLUMNS = ("code", "title", "category", "urgency", "status", "due_at", "created_at",
                 "hamlet_id", "assigned_to_id")  # fmt: skip
TRIAGE = "reports.triage_report"


def _in_scope(request: HttpRequest, report_id: int) -> IncidentReport:
    """The report if it is in the user's scope (else 404) and the user may read reports (403)."""
    queryset = IncidentReport.objects.visible_to(request.user).select_related(
        "hamlet", "people_group", "zalo_group", "filed_by", "assigned_to"
    )
    report = get_object_or_404(queryset, pk=report_id)
    require_perm(request, "reports.view_incidentreport")
    return report


def _error_messages(exc: ValidationError) -> list[str]:
    return [message for message in exc.messages]


def _page(paginator: Paginator, request: HttpRequest) -> Page:
    number = request.GET.get("page") or "1"
    if not number.isdecimal() or not 1 <= int(number) <= 1_000_000:
        raise Http404
    return paginator.get_page(number)


# --- the list: the queue for the police, "my reports" for who files ---------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The triage queue for whoever can triage; the reports one filed for the others."""
    if request.user.has_perm(TRIAGE):
        return _queue(request)
    if request.user.has_perm("reports.add_incidentreport"):
        return _my_reports(request)
    raise PermissionDenied


# What the queue shows: the reports and the residents' word on them, the names of the hamlets
# and officers (reports/officers.py).
QUEUE_TOPICS = (REPORTS_TOPIC, PEOPLE_TOPIC)


def _queue(request: HttpRequest) -> HttpResponse:
    content = cached_part(request, "reports:queue", QUEUE_TOPICS, lambda: _draw_queue(request))
    return render(request, "reports/incidentreport_queue.html", {"content": content})


def _draw_queue(request: HttpRequest) -> Drawn:
    """The queue's content, and when it must be drawn again though nothing was written: the
    next deadline of an open report of the user's scope, when it turns overdue (its row, the
    overdue filter, sort and count all change then)."""
    form = QueueFilterForm(request.GET, user=request.user)
    # Only what a row shows: a sort that reads many rows carries less, and 25 rows are built
    # from a few columns, with no join. The names of the hamlets and of the officers come
    # from the filter form, which has them all (the scope's hamlets, the assignable officers).
    reports = form.selection(IncidentReport.objects.visible_to(request.user).only(*QUEUE_COLUMNS))
    page = _page(CappedCountPaginator(reports, QUEUE_PAGE_SIZE), request)
    officers = form.fields["assignee"].choices[2:]
    names = _Names(hamlets=form.hamlet_names, officers={int(pk): name for pk, name in officers})
    page.object_list = _residents_word(_queue_rows(list(page.object_list), names))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "count_capped": page.paginator.capped,
        "cap": CappedCountPaginator.CAP,
        "query": query.urlencode(),
        "officers": officers,
        "filtered": any(value for key, value in request.GET.items() if key not in ("page", "sort")),
    }
    html = render_to_string("reports/_queue.html", context, request=request)
    next_deadline = (
        IncidentReport.objects.visible_to(request.user)
        .filter(status__in=OPEN_STATUSES, due_at__gt=timezone.now())
        .aggregate(first=Min("due_at"))["first"]
    )
    return html, next_deadline


@dataclass
class _Names:
    """The names the queue's rows show, by primary key, and those missing read in one query
    each: a report assigned to someone who may no longer be assigned (left the role) is the
    one case; a hamlet out of the scope's list cannot be one through visible_to."""

    hamlets: dict[int, str]
    officers: dict[int, str]

    def complete(self, reports: list[IncidentReport]) -> None:
        missing = {report.hamlet_id for report in reports} - self.hamlets.keys()
        if missing:
            found = Hamlet.objects.filter(pk__in=missing).values_list("pk", "name")
            self.hamlets = {**self.hamlets, **dict(found)}
        assigned = {report.assigned_to_id for report in reports} - {None}
        missing = assigned - self.officers.keys()
        if missing:
            found = User.objects.filter(pk__in=missing).only("full_name", "username")
            self.officers = {**self.officers, **{user.pk: str(user) for user in found}}


def _queue_rows(reports: list[IncidentReport], names: _Names) -> list[IncidentReport]:
    """The queue's rows with the names of their hamlet and officer (from `names`: the rows are
    read without joins)."""
    names.complete(reports)
    for report in reports:
        report.hamlet_name = names.hamlets[report.hamlet_id]
        report.assignee_name = (
            names.officers[report.assigned_to_id] if report.assigned_to_id else "—"
        )
    return reports


RESIDENTS_BADGES = {
    FeedbackAnswer.YES: "text-bg-success",
    FeedbackAnswer.PARTLY: "text-bg-warning",
    FeedbackAnswer.NO: "text-bg-danger",
}


def _residents_word(reports: list[IncidentReport]) -> list[IncidentReport]:
    """Each row's reporter's last answer, if any (one query for the page): a badge in the
    queue, so that a report the residents say is unresolved stands out."""
    answers = dict(
        ReportFeedback.objects.latest_per_report()
        .filter(report_id__in=[report.pk for report in reports])
        .values_list("report_id", "resolved")
    )
    labels = {value: str(label) for value, label in FeedbackAnswer.choices}
    for report in reports:
        answer = answers.get(report.pk)
        report.residents_answer = answer or ""
        if answer:
            report.residents_label = _("Residents: %(answer)s") % {"answer": labels[answer]}
            report.residents_badge = RESIDENTS_BADGES[answer]
    return reports


def _my_reports(request: HttpRequest) -> HttpResponse:
    """What the user filed, newest first, each with whether the police replied since the user
    last wrote on it (a shared comment by someone else, newer than the user's own last event)."""
    user = request.user
    events = ReportEvent.objects.filter(report=OuterRef("pk")).order_by("-created_at", "-pk")
    reports = (
        IncidentReport.objects.visible_to(user)
        .filter(filed_by=user)
        .select_related("hamlet")
        .annotate(
            last_reply_at=Subquery(
                events.filter(shared=True, kind=ReportEvent.Kind.COMMENT)
                .exclude(actor=user)
                .values("created_at")[:1]
            ),
            last_own_at=Subquery(events.filter(actor=user).values("created_at")[:1]),
        )
        .order_by("-created_at", "-id")
    )
    page = _page(Paginator(reports, QUEUE_PAGE_SIZE), request)
    # Resolved reports whose outcome the user has not yet given their word on.
    page.object_list = list(page.object_list)
    awaiting = feedback.awaiting(page.object_list)
    for report in page.object_list:
        report.feedback_awaited = report.pk in awaiting
    return render(request, "reports/incidentreport_mine.html", {"page": page})


# --- the figures' list: what a dashboard's count is made of, for who reads figures only -------


@login_required
def report_figures(request: HttpRequest) -> HttpResponse:
    """The reports behind a figure of the leadership's dashboard, with the same filters as the
    count (the API's FilterSet, so the two can never disagree) and only the fields every
    reader of reports may see: code, day, hamlet, category, channel, status and, for who reads
    the yearly review, its marks. Never a word of the text, never the informant."""
    require_perm(request, visibility.VIEW)
    found = IncidentReportFilter(
        request.GET, queryset=IncidentReport.objects.visible_to(request.user), request=request
    )
    if not found.is_valid():
        return render(request, "reports/incidentreport_figures.html", {"errors": found.errors})
    reports = found.qs.select_related("hamlet").only(*FIGURE_COLUMNS)
    page = _page(CappedCountPaginator(reports, QUEUE_PAGE_SIZE), request)
    context = {
        "page": page,
        "count_capped": page.paginator.capped,
        "filters": _filters_shown(request.user, found.form.cleaned_data),
        "marks": visibility.fields_for(request.user) >= visibility.REVIEW_MARKS,
    }
    return render(request, "reports/incidentreport_figures.html", context)


@login_required
def report_map(request: HttpRequest) -> HttpResponse:
    """The reports of the selection on a map, and their count per hamlet (reports/maps.py):
    for the police, area officers, party office and leaders, each within their scope. The
    markers are drawn by static/js/report-map.js from the API's map of the same filters."""
    if not maps.may_see_map(request.user):
        raise PermissionDenied
    form = maps.MapFilterForm(request.GET, user=request.user)
    found = maps.map_selection(request.user, request.GET)
    context = {
        "form": form,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    if not found.is_valid():
        context["errors"] = found.errors
        return render(request, "reports/report_map.html", context, status=400)
    query = maps.map_query(found)
    data = maps.map_data(request.user, found.qs, query, with_markers=False)
    context.update(
        data=data,
        source=f"{reverse('api:report-map')}?{urlencode(maps.query_strings(query))}",
        filtered=bool(query),
    )
    return render(request, "reports/report_map.html", context)


FIGURE_COLUMNS = (
    "id", "code", "created_at", "hamlet__name", "category", "channel", "status", "valuable_tip",
    "solved_by_tip",
)  # fmt: skip


def _filters_shown(user: User, data: dict[str, Any]) -> list[str]:
    """The filters in force, in words: the list says what it counts."""
    shown = []
    first, last = data.get("received_from"), data.get("received_to")
    if first or last:
        shown.append(
            _("received from %(first)s to %(last)s")
            % {
                "first": f"{first:%d/%m/%Y}" if first else "…",
                "last": f"{last:%d/%m/%Y}" if last else "…",
            }
        )
    if data.get("hamlet"):
        shown += hamlets_for(user).filter(pk=data["hamlet"]).values_list("name", flat=True)
    for name, choices in (
        ("category", Category),
        ("status", Status),
        ("channel", Channel),
        ("urgency", Urgency),
    ):
        if data.get(name):
            shown.append(str(choices(data[name]).label))
    for name, yes, no in (
        ("valuable_tip", _("valuable tips"), _("not marked as valuable")),
        ("solved_by_tip", _("cases solved thanks to a tip"), _("not marked as solved by a tip")),
    ):
        if data.get(name) is not None:
            shown.append(str(yes if data[name] else no))
    return shown


# --- filing --------------------------------------------------------------------------------


# An error report (mail to ADMINS, Sentry) never carries the informant's identity: the POST
# fields and the local variables holding them are cleansed by Django's exception filter.
@sensitive_post_parameters(
    "informant_name", "informant_phone", "informant_address", "informant_relation"
)
@login_required
@sensitive_variables()
def report_create_page(request: HttpRequest) -> HttpResponse:
    require_perm(request, "reports.add_incidentreport")
    if not hamlets_for(request.user).exists():
        raise PermissionDenied  # no hamlet to file for
    user_id = request.user.pk
    if request.method != "POST":
        pending_forget(request.session, user_id)  # a new form starts with no file chosen
        return _located(
            render(request, "reports/incidentreport_form.html", {"form": _form(request)})
        )
    dropped = set(request.POST.getlist("drop_pending"))
    pending = [u for u in pending_list(request.session, user_id) if u.token not in dropped]
    form = _form(request, pending)
    if form.is_valid():
        filed = _file(request, form)
        if filed is not None:
            report, created = filed
            pending_forget(request.session, user_id)
            if created:
                message = _("Report %(code)s was sent. You can follow it here.")
                messages.success(request, message % {"code": report.code})
            else:  # the same draft sent again: nothing more is filed
                message = _("Report %(code)s was already received.")
                messages.info(request, message % {"code": report.code})
            return redirect("reports:report-detail", report_id=report.pk)
    # Refused: the files chosen are kept for the next submission, shown on the form.
    form.pending_uploads = pending_keep(
        request.session, user_id, pending, request.FILES.getlist("photos")
    )
    return _located(render(request, "reports/incidentreport_form.html", {"form": form}))


def _located(response: HttpResponse) -> HttpResponse:
    """The report form may ask for the phone's location ("Use my current location", only when
    pressed): the one page where geolocation is not refused (settings.PERMISSIONS_POLICY)."""
    response["Permissions-Policy"] = settings.PERMISSIONS_POLICY.replace(
        "geolocation=()", "geolocation=(self)"
    )
    return response


def _form(request: HttpRequest, pending: list[PendingUpload] = ()) -> ReportForm:
    if request.method != "POST":
        return ReportForm(user=request.user)
    return ReportForm(request.POST, request.FILES, user=request.user, pending=pending)


@sensitive_variables()
def _file(request: HttpRequest, form: ReportForm) -> tuple[IncidentReport, bool] | None:
    """The report and its files (those kept from a refused submission, then those chosen now)
    in one transaction: a refused file saves nothing (and the files already written for it are
    removed). Errors go onto the form. A draft already received gives its report, False, and
    its files are not added twice."""
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            report, created = report_file_once(actor=request.user, **form.service_values())
            uploads = pending_files(form.pending_uploads) + form.cleaned_data["photos"]
            for upload in uploads if created else ():
                saved.append(
                    attachment_add(actor=request.user, report=report, uploaded_file=upload)
                )
    except ValidationError as exc:
        for attachment in saved:
            attachment.file.delete(save=False)
        field_errors = getattr(exc, "error_dict", None)
        if field_errors:
            for field, errors in field_errors.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            attachment_error = any(
                str(getattr(error, "code", "")).startswith("attachment") for error in exc.error_list
            )
            form.add_error("photos" if attachment_error else None, exc)
        return None
    return report, created


# --- one report ------------------------------------------------------------------------------


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    return _detail(request, report)


def _detail(request: HttpRequest, report: IncidentReport, **forms: Any) -> HttpResponse:
    """The report's page, showing the fields reports/visibility.py lets the user read:
    everything for whoever can triage; the report as filed and its shared timeline for
    whoever filed it; the figures (category, status, dates) for the others."""
    user = request.user
    triager = user.has_perm(TRIAGE)
    fields = visibility.readable_fields(user, report)
    events = (
        ReportEvent.objects.visible_to(user)
        .filter(report=report)
        .select_related("actor", "assignee", "feedback")
        .order_by("created_at", "pk")
    )
    filer = report.filed_by_id == user.pk
    may_comment = triager or filer
    context: dict[str, Any] = {
        "report": report,
        "fields": fields,
        "triager": triager,
        "events": events if "timeline" in fields else [],
        "may_comment": may_comment,
        "may_attach": may_comment,
        "show_attachments": "attachments" in fields,
        "attachments": (
            report.attachments.select_related("uploaded_by") if "attachments" in fields else []
        ),
        # That an identity was recorded, never who: for the police and whoever filed it.
        "has_informant": report.has_informant if "has_informant" in fields else False,
        "may_reveal": user.has_perm("reports.view_informant"),
        # The reporter's answers, with the timeline (their comments are on it): for whoever
        # triages or filed the report; the others read them only as the dashboards' figures.
        "feedback": list(report.feedback.all()) if "timeline" in fields else [],
    }
    if may_give_feedback(user, report) and feedback_awaited(report):
        context["feedback_form"] = forms.get("feedback_form") or FeedbackForm()
    if may_comment:
        context["comment_form"] = forms.get("comment_form") or CommentForm(
            triager=triager, initial={"shared": False}
        )
        context["attachment_form"] = forms.get("attachment_form") or AttachmentForm()
    if triager:
        context["transition_form"] = forms.get("transition_form") or TransitionForm(report=report)
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            hamlets=Hamlet.objects.filter(pk=report.hamlet_id),
            commune_id=report.commune_id,
            initial={"assignee": report.assigned_to_id},
        )
        context["outcome_form"] = forms.get("outcome_form") or OutcomeForm(instance=report)
    elif filer and report.status in OPEN_STATUSES:
        context.update(who_can=_handlers(report), step=_("handling the report"))
    status = 400 if forms else 200
    return render(request, "reports/incidentreport_detail.html", context, status=status)


def _handlers(report: IncidentReport) -> WhoCan:
    """Who handles an open report, for whoever filed it: its officer once assigned, else the
    roles that triage and the officers whose scope holds its hamlet."""
    roles = roles_with(TRIAGE)
    if report.assigned_to_id:
        return WhoCan(roles=roles, people=[str(report.assigned_to)])
    officers = triagers_for([report.hamlet_id], report.commune_id)[:10]
    return WhoCan(roles=roles, people=[str(officer) for officer in officers])


def _act(
    request: HttpRequest, report: IncidentReport, form_name: str, form: Any, action: Any
) -> HttpResponse:
    """Validate `form`, run `action(form.cleaned_data)` (a service call); on success back to
    the report, on a refusal the report's page again with the form and its errors."""
    if form.is_valid():
        try:
            message = action(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, message)
            return redirect("reports:report-detail", report_id=report.pk)
    return _detail(request, report, **{form_name: form})


@login_required
@require_POST
def report_comment_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    triager = request.user.has_perm(TRIAGE)
    if not triager and report.filed_by_id != request.user.pk:
        raise PermissionDenied

    def comment(data: dict) -> str:
        report_comment(
            actor=request.user, report=report, text=data["text"], shared=data.get("shared", True)
        )
        return _("Your comment was added.")

    form = CommentForm(request.POST, triager=triager)
    return _act(request, report, "comment_form", form, comment)


@login_required
@require_POST
def report_feedback_page(request: HttpRequest, report_id: int) -> HttpResponse:
    """The filer's word on the outcome of their resolved or closed report."""
    report = _in_scope(request, report_id)
    if not may_give_feedback(request.user, report):
        raise PermissionDenied

    def give(data: dict) -> str:
        answer = report_feedback_give(actor=request.user, report=report, **data)
        if answer.reopened:
            return _("Thank you. The report was reopened for the police to handle again.")
        return _("Thank you for your feedback.")

    return _act(request, report, "feedback_form", FeedbackForm(request.POST), give)


@login_required
@require_POST
def report_attach_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    if not request.user.has_perm(TRIAGE) and report.filed_by_id != request.user.pk:
        raise PermissionDenied

    def attach(data: dict) -> str:
        attachment_add(actor=request.user, report=report, uploaded_file=data["file"])
        return _("The file was added.")

    form = AttachmentForm(request.POST, request.FILES)
    return _act(request, report, "attachment_form", form, attach)


@login_required
@require_POST
def report_transition_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    require_perm(request, TRIAGE)

    def transition(data: dict) -> str:
        done = report_transition(
            actor=request.user, report=report, to_status=data["to_status"], note=data["note"]
        )
        return _("Status changed to “%(status)s”.") % {"status": done.get_status_display()}

    form = TransitionForm(request.POST, report=report)
    return _act(request, report, "transition_form", form, transition)


@login_required
@require_POST
def report_assign_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    require_perm(request, TRIAGE)

    def assign(data: dict) -> str:
        report_assign(actor=request.user, reports=[report], assignee=data["assignee"])
        return _("Assigned to %(name)s.") % {"name": data["assignee"]}

    form = AssignForm(
        request.POST,
        hamlets=Hamlet.objects.filter(pk=report.hamlet_id),
        commune_id=report.commune_id,
    )
    return _act(request, report, "assign_form", form, assign)


@login_required
@require_POST
def report_outcome_page(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _in_scope(request, report_id)
    require_perm(request, TRIAGE)

    def record(data: dict) -> str:
        report_record_outcome(actor=request.user, report=report, **data)
        return _("The outcome was recorded.")

    # A copy: the form must not change the report the page shows when it is refused.
    form = OutcomeForm(request.POST, instance=IncidentReport(pk=report.pk))
    return _act(request, report, "outcome_form", form, record)


# --- the queue's bulk assignment and export --------------------------------------------------


@login_required
@require_POST
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Assign the reports ticked in the queue to one officer: first a confirmation page, then
    (with `confirm`) report_assign, which checks every report's scope and the officer's."""
    require_perm(request, TRIAGE)
    form = BulkAssignForm(request.POST, user=request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("reports:report-list")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    reports = form.cleaned_data["reports"].select_related("hamlet", "assigned_to")
    assignee = form.cleaned_data["assignee"]
    if request.POST.get("confirm") != "1":
        context = {"form": form, "reports": reports, "assignee": assignee, "next": back}
        return render(request, "reports/incidentreport_assign_confirm.html", context)
    try:
        changed = report_assign(actor=request.user, reports=reports, assignee=assignee)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(count)d reports assigned to %(name)s.") % {"count": changed, "name": assignee},
        )
    return redirect(back)


@login_required
def queue_export(request: HttpRequest) -> HttpResponse:
    """The queue's exact selection (its filters, search and order) as XLSX or CSV; never an
    informant column."""
    require_perm(request, TRIAGE)
    query = request.GET.copy()
    fmt = query.pop("format", ["xlsx"])[-1]
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    form = QueueFilterForm(query, user=request.user)
    reports = form.selection(
        IncidentReport.objects.visible_to(request.user).select_related(
            "hamlet", "people_group", "assigned_to", "filed_by", "zalo_group"
        )
    )
    content, content_type, filename = exports.export_reports(reports, fmt, user=request.user)
    return download_response(content, content_type=content_type, filename=filename)


# --- attachments -----------------------------------------------------------------------------


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A private file, for whoever can triage its report, or filed it; the type is the one
    sniffed on upload, the browser may not guess another, and nothing keeps a copy."""
    queryset = Attachment.objects.visible_to(request.user).select_related("report")
    attachment = get_object_or_404(queryset, pk=attachment_id)
    require_perm(request, "reports.view_incidentreport")
    if not request.user.has_perm(TRIAGE) and attachment.report.filed_by_id != request.user.pk:
        raise PermissionDenied
    # Photos open in the browser; a PDF is downloaded (its viewer would run what it holds).
    return private_file_response(
        attachment.file,
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=not attachment.content_type.startswith("image/"),
    )


# --- the informant ---------------------------------------------------------------------------


@sensitive_post_parameters()
@login_required
@sensitive_variables()  # every frame under it: render() holds the identity too
def informant_reveal_page(request: HttpRequest, report_id: int) -> HttpResponse:
    """One report's informant, for a user with reports.view_informant who gives a reason. The
    POST logs the reveal and redirects (post/redirect/get); the page it lands on shows the
    identity once, read through that reveal. A reload shows the form and the last reveal
    again: it never re-reveals, and never logs twice. No response here may be stored."""
    report = _in_scope(request, report_id)
    require_perm(request, "reports.view_informant")
    recorded = Informant.objects.filter(report_id=report.pk).exists()
    form = RevealForm(request.POST or None)
    if request.method == "POST" and recorded and form.is_valid():
        try:
            reveal = informant_reveal_log(
                actor=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            request.session[REVEAL_SESSION_KEY] = reveal.pk
            return redirect("reports:informant-reveal", report_id=report.pk)
    reveal = _just_revealed(request, report)
    context = {
        "report": report,
        "form": form,
        "identity": informant_identity(reveal=reveal) if reveal else None,
        "recorded": recorded,
        "last": report.informant_reveals.select_related("user").order_by("-created_at").first(),
    }
    response = render(request, "reports/informant_reveal.html", context)
    add_never_cache_headers(response)
    return response


# The reveal the POST just logged, read once by the page it redirects to (its id only: the
# identity itself is never stored, not even in the session).
REVEAL_SESSION_KEY = "_informant_reveal"
REVEAL_SHOWN_WITHIN = datetime.timedelta(minutes=2)


def _just_revealed(request: HttpRequest, report: IncidentReport) -> InformantReveal | None:
    pk = request.session.pop(REVEAL_SESSION_KEY, None)
    if pk is None:
        return None
    return InformantReveal.objects.filter(
        pk=pk,
        report=report,
        user=request.user,
        created_at__gte=timezone.now() - REVEAL_SHOWN_WITHIN,
    ).first()


@login_required
def reveal_log(request: HttpRequest) -> HttpResponse:
    """Who revealed which report's informant, when and why, in the user's commune (scope),
    filterable by date and user. Never the identity itself."""
    require_perm(request, "reports.view_informantreveal")
    reveals = (
        InformantReveal.objects.filter(report__hamlet__in=hamlets_for(request.user))
        .select_related("user", "report")
        .order_by("-created_at", "-pk")
    )
    date_from = parse_date(request.GET.get("from") or "") if _valid_date(request, "from") else None
    date_to = parse_date(request.GET.get("to") or "") if _valid_date(request, "to") else None
    if date_from:
        reveals = reveals.filter(created_at__date__gte=date_from)
    if date_to:
        reveals = reveals.filter(created_at__date__lte=date_to)
    users = _reveal_users(request)
    chosen = request.GET.get("user") or ""
    if chosen.isdecimal() and int(chosen) in {u.pk for u in users}:
        reveals = reveals.filter(user_id=int(chosen))
    else:
        chosen = ""
    context = {
        "page": _page(CappedCountPaginator(reveals, 50), request),
        "users": users,
        "chosen": chosen,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(request, "reports/informantreveal_list.html", context)


def _valid_date(request: HttpRequest, name: str) -> bool:
    try:
        return parse_date(request.GET.get(name) or "") is not None
    except ValueError:
        return False


def _reveal_users(request: HttpRequest) -> QuerySet[User]:
    """The users who revealed an identity of a report in scope: the filter's choices."""
    in_scope = InformantReveal.objects.filter(
        report__hamlet__in=hamlets_for(request.user), user=OuterRef("pk")
    )
    return User.objects.filter(Exists(in_scope)).order_by("full_name", "username")
